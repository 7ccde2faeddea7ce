// Runs scripts/check-dockerfile.sh: the Dockerfile must stay in step with
// install-deps.sh, the CMake targets, the config file and the port. Broken
// copies of the Dockerfile must be caught, so the check itself can fail.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "child_process.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

const std::filesystem::path source_dir = CROUS_SOURCE_DIR;

ChildResult check(const std::vector<std::string>& args) {
  std::vector<std::string> argv{(source_dir / "scripts/check-dockerfile.sh").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program("/bin/bash", argv);
}

// A copy of the Dockerfile with `from` replaced by `to` (which must occur).
std::filesystem::path broken_dockerfile(const std::string& from, const std::string& to) {
  std::string text = read_text(source_dir / "Dockerfile");
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  const auto path = temp_dir("dockerfile-check") / "Dockerfile";
  std::ofstream(path) << text;
  return path;
}

TEST(DockerfileCheck, DockerfileMatchesTheProjectAndTheBuild) {
  const auto result = check({"--bin-dir", bin_dir().string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(DockerfileCheck, CatchesDrift) {
  const struct {
    const char* from;
    const char* to;
    const char* reported;
  } drifts[] = {
      {"EXPOSE 7878", "EXPOSE 8080", "port mismatch"},
      {"/src/build/bin/crous-echo ", "/src/build/bin/crous-echo /src/build/bin/crous-nonesuch ", "crous-nonesuch"},
      {"COPY config/crous-server.conf", "COPY config/missing.conf", "does not exist"},
      {"RUN scripts/install-deps.sh", "RUN apt-get update && apt-get install -y g++ && scripts/install-deps.sh", "install-deps.sh"},
      {"-DCMAKE_BUILD_TYPE=Release -DCROUS_BUILD_TESTS", "-DCMAKE_BUILD_TYPE=Debug -DCROUS_BUILD_TESTS", "configure differs"},
      {"USER 10001:10001", "USER root", "non-root"},
      {"ENTRYPOINT [\"crous-server\"]", "ENTRYPOINT crous-server", "exec form"},
      {"CROUS_PORT=7878", "CROUS_PORT=7878 CROUS_NO_SUCH_SETTING=1", "CROUS_NO_SUCH_SETTING"},
      {"EXPOSE 7878 9478", "EXPOSE 7878", "metrics port 9478"},
      {"CROUS_METRICS_ADDRESS=0.0.0.0", "CROUS_METRICS_ADDRESS=127.0.0.1", "CROUS_METRICS_ADDRESS=0.0.0.0"},
      {"CROUS_PORT=7878", "CROUS_PORT=7878 CROUS_METRICS_PORT=9478", "off by default"},
  };
  for (const auto& drift : drifts) {
    const auto result = check({"--dockerfile", broken_dockerfile(drift.from, drift.to).string()});
    EXPECT_EQ(result.exit_code, 1) << drift.to;
    EXPECT_NE(result.err.find(drift.reported), std::string::npos) << drift.to << "\n" << result.err;
  }
}

}  // namespace
}  // namespace crous::test
