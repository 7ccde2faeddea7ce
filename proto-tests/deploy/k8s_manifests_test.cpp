// deploy/k8s checked without a cluster. No kubectl command validates against
// the API schema offline (create/apply --dry-run=client need a server for
// discovery and the OpenAPI document), so, with the machine's kubectl:
// - `kubectl kustomize` builds the three objects;
// - the Deployment and the Service are decoded into Kubernetes' own Go types
//   (`kubectl set ... --local -o json`: a wrong type is an error, an unknown
//   or misspelled field is dropped, which is caught by comparing with the
//   file); the PodDisruptionBudget has no such local command and is only
//   parsed;
// - the settings that must fit the server are checked against the server
//   itself: selectors, ports, probe paths, and a grace period longer than
//   the preStop pause plus the drain_timeout crous-server reports for the
//   container's environment; then crous-server runs with exactly that
//   environment (in a network namespace, so its fixed ports are free) and
//   the probes' URLs answer 200, and SIGTERM ends it in time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "child_process.hpp"
#include "network_lab.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

const fs::path kSource = CROUS_SOURCE_DIR;
const fs::path kManifests = kSource / "deploy/k8s";

fs::path kubectl_program() {
  for (const char* path : {"/usr/bin/kubectl", "/usr/local/bin/kubectl"})
    if (fs::exists(path)) return path;
  return {};
}

class KubernetesManifests : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl_ = kubectl_program();
    if (kubectl_.empty()) GTEST_SKIP() << "no kubectl on this machine: the Kubernetes manifests are not checked";
  }

  ChildResult kubectl(const std::vector<std::string>& args) { return run_program(kubectl_, args, {}, 60s); }

  // The file as written (YAML to JSON, nothing interpreted).
  json as_written(const std::string& file) {
    const ChildResult r =
        kubectl({"patch", "--local", "--type", "merge", "-p", "{}", "-o", "json", "-f", (kManifests / file).string()});
    EXPECT_EQ(r.exit_code, 0) << file << ": " << r.err;
    return json::parse(r.out);
  }

  fs::path kubectl_;
};

// Every field of `written` is in `typed` with the same value.
void expect_nothing_dropped(const json& written, const json& typed, const std::string& file) {
  const json kept = typed.flatten();
  const json fields = written.flatten();
  for (const auto& [path, value] : fields.items()) {
    ASSERT_TRUE(kept.contains(path)) << file << ": " << path
                                     << " is not a field of its Kubernetes type (misspelled, or misplaced)";
    EXPECT_EQ(kept[path], value) << file << ": " << path;
  }
}

bool selects(const json& selector, const json& labels) {
  for (const auto& [key, value] : selector.items())
    if (!labels.contains(key) || labels[key] != value) return false;
  return !selector.empty();
}

std::map<std::string, std::string> env_of(const json& container) {
  std::map<std::string, std::string> env;
  for (const auto& e : container["env"]) env[e["name"].get<std::string>()] = e["value"].get<std::string>();
  return env;
}

// The Dockerfile's ENV instruction (KEY=VALUE pairs over continued lines):
// the environment the image gives the container before the manifest's.
std::map<std::string, std::string> image_environment() {
  std::ifstream in(kSource / "Dockerfile");
  std::string text, line;
  bool in_env = false;
  while (std::getline(in, line)) {
    if (line.rfind("ENV ", 0) == 0) in_env = true;
    if (!in_env) continue;
    const bool continued = !line.empty() && line.back() == '\\';
    if (continued) line.pop_back();
    text += ' ';
    text += line;
    if (!continued) in_env = false;
  }
  std::map<std::string, std::string> env;
  static const std::regex pair(R"(([A-Z_]+)=(\S+))");
  for (std::sregex_iterator it(text.begin(), text.end(), pair), end; it != end; ++it) env[(*it)[1]] = (*it)[2];
  return env;
}

// crous-server's effective settings for an environment (--print-config).
std::map<std::string, std::string> server_settings(const std::map<std::string, std::string>& env) {
  ScopedEnvironment::Variables vars(env.begin(), env.end());
  ScopedEnvironment scoped(vars);
  const ChildResult r = run_program(bin_dir() / "crous-server", {"--print-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> settings;
  static const std::regex line(R"(^(\w+) = (\S*))");
  std::istringstream out(r.out);
  std::smatch m;
  for (std::string text; std::getline(out, text);)
    if (std::regex_search(text, m, line)) settings[m[1]] = m[2];
  return settings;
}

// The image's environment, then the container's, with the config file the
// image copies to /etc/crous taken from the checkout.
std::map<std::string, std::string> container_environment(const json& container) {
  std::map<std::string, std::string> env = image_environment();
  for (const auto& [name, value] : env_of(container)) env[name] = value;
  env["CROUS_CONFIG"] = (kSource / "config/crous-server.conf").string();
  return env;
}

// "8s", "500ms", "2m" (crous-server's own spelling) in seconds.
double seconds_of(const std::string& duration) {
  const double n = std::stod(duration);
  if (duration.find("ms") != std::string::npos) return n / 1000;
  if (duration.back() == 'm') return n * 60;
  if (duration.back() == 'h') return n * 3600;
  return n;
}

// The status code of GET `path`, or 0 when nothing answers.
int http_status(const std::string& address, int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[1024];
    pollfd p{fd, POLLIN, 0};
    while (response.find("\r\n") == std::string::npos && ::poll(&p, 1, 5000) == 1) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  std::smatch m;
  static const std::regex status(R"(^HTTP/1\.[01] (\d{3}))");
  return std::regex_search(response, m, status) ? std::stoi(m[1]) : 0;
}

TEST_F(KubernetesManifests, KustomizeBuildsTheDeploymentTheServiceAndTheDisruptionBudget) {
  const ChildResult r = kubectl({"kustomize", kManifests.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* kind : {"kind: Deployment", "kind: Service", "kind: PodDisruptionBudget"})
    EXPECT_NE(r.out.find(kind), std::string::npos) << kind << "\n" << r.out;
}

TEST_F(KubernetesManifests, TheDeploymentAndTheServiceDecodeIntoKubernetesTypesWithNoFieldDropped) {
  const ChildResult deployment = kubectl({"set", "env", "--local", "-o", "json", "-f",
                                          (kManifests / "deployment.yaml").string(), "CROUS_KUBECTL_CHECK=1"});
  ASSERT_EQ(deployment.exit_code, 0) << deployment.err;
  expect_nothing_dropped(as_written("deployment.yaml"), json::parse(deployment.out), "deployment.yaml");

  const json service = as_written("service.yaml");
  std::string selector;
  for (const auto& [key, value] : service["spec"]["selector"].items())
    selector += (selector.empty() ? "" : ",") + key + "=" + value.get<std::string>();
  const ChildResult typed =
      kubectl({"set", "selector", "--local", "-o", "json", "-f", (kManifests / "service.yaml").string(), selector});
  ASSERT_EQ(typed.exit_code, 0) << typed.err;
  expect_nothing_dropped(service, json::parse(typed.out), "service.yaml");

  // The check itself catches a misspelled field.
  const fs::path broken = temp_dir("k8s") / "deployment.yaml";
  std::string text = read_text(kManifests / "deployment.yaml");
  text.replace(text.find("readinessProbe"), 14, "readinesProbe");
  std::ofstream(broken) << text;
  const ChildResult misspelled =
      kubectl({"set", "env", "--local", "-o", "json", "-f", broken.string(), "CROUS_KUBECTL_CHECK=1"});
  ASSERT_EQ(misspelled.exit_code, 0) << misspelled.err;
  EXPECT_EQ(misspelled.out.find("readinesProbe"), std::string::npos);
}

TEST_F(KubernetesManifests, SelectorsPortsProbesAndTheGracePeriodFitTheServer) {
  const json deployment = as_written("deployment.yaml");
  const json service = as_written("service.yaml");
  const json budget = as_written("pdb.yaml");
  const json& pod = deployment["spec"]["template"];
  const json& labels = pod["metadata"]["labels"];
  EXPECT_TRUE(selects(deployment["spec"]["selector"]["matchLabels"], labels));
  EXPECT_TRUE(selects(service["spec"]["selector"], labels));
  EXPECT_TRUE(selects(budget["spec"]["selector"]["matchLabels"], labels));

  const json& container = pod["spec"]["containers"][0];
  std::map<std::string, int> ports;
  for (const auto& p : container["ports"]) ports[p["name"].get<std::string>()] = p["containerPort"].get<int>();
  const std::map<std::string, std::string> settings = server_settings(container_environment(container));
  ASSERT_FALSE(settings.empty());
  EXPECT_EQ(std::to_string(ports["crous"]), settings.at("port"));
  EXPECT_EQ(std::to_string(ports["metrics"]), settings.at("metrics_port"));
  EXPECT_EQ(settings.at("listen_address"), "0.0.0.0");
  EXPECT_EQ(settings.at("metrics_address"), "0.0.0.0");
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], "crous");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["port"], "metrics");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["port"], "metrics");
  for (const char* part : {"requests", "limits"})
    for (const char* resource : {"cpu", "memory"})
      EXPECT_TRUE(container["resources"][part].contains(resource)) << part << "." << resource;

  // preStop pause + drain must end before the kubelet's SIGKILL.
  const json& pause = container["lifecycle"]["preStop"]["exec"]["command"];
  ASSERT_EQ(pause.size(), 2u);
  ASSERT_EQ(pause[0], "sleep");
  const double pre_stop = std::stod(pause[1].get<std::string>());
  const double drain = seconds_of(settings.at("drain_timeout"));
  const double grace = pod["spec"]["terminationGracePeriodSeconds"].get<double>();
  EXPECT_GT(grace, pre_stop + drain + 1) << "preStop " << pre_stop << " s, drain_timeout " << drain << " s";

  // The server with exactly that environment, where its fixed ports are free.
  NetworkLab lab(1);
  if (!lab.namespaces()) GTEST_SKIP() << "no network namespace for the fixed ports (" << lab.why() << ")";
  const std::map<std::string, std::string> env = container_environment(container);
  std::unique_ptr<ChildProcess> server;
  {
    ScopedEnvironment scoped(ScopedEnvironment::Variables(env.begin(), env.end()));
    const auto argv = lab.command_on(0, (bin_dir() / "crous-server").string(), {});
    server = std::make_unique<ChildProcess>(argv.front(), std::vector<std::string>(argv.begin() + 1, argv.end()));
  }
  const std::string address = lab.host(0).address;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (http_status(address, ports["metrics"], "/readyz") != 200) {
    ASSERT_TRUE(server->running() && std::chrono::steady_clock::now() < deadline) << server->stderr_so_far();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(http_status(address, ports["metrics"], "/healthz"), 200);
  const auto stopping = std::chrono::steady_clock::now();
  server->signal(SIGTERM);
  const ChildResult ended = server->wait(std::chrono::milliseconds(static_cast<long>((grace - pre_stop) * 1000)));
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::duration<double>(drain));
}

}  // namespace
}  // namespace crous::test
