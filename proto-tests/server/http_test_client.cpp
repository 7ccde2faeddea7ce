#include "http_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <limits>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "test_support.hpp"

namespace crous::test {

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "connect to port " + std::to_string(port));
  }
  return fd;
}

std::string read_until_closed(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return out;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string HttpResponse::header(const std::string& name) const {
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);  // status line
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (lower(line.substr(0, colon)) == lower(name)) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      return value;
    }
  }
  return {};
}

HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& path,
                          const std::string& extra_headers, std::chrono::milliseconds timeout) {
  const int fd = connect_loopback(port);
  const std::string request =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers + "\r\n";
  for (std::size_t at = 0; at < request.size();) {
    const ssize_t n = ::send(fd, request.data() + at, request.size() - at, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      throw std::system_error(errno, std::generic_category(), "send");
    }
    at += static_cast<std::size_t>(n);
  }
  const std::string raw = read_until_closed(fd, timeout);
  ::close(fd);
  HttpResponse r;
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  if (r.head.rfind("HTTP/1.", 0) == 0 && r.head.size() >= 12) r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

Samples parse_exposition(const std::string& text) {
  Samples out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    // The value follows the last space (label values here hold no spaces
    // after the closing brace).
    const auto close = line.find('}');
    const auto space = line.find(' ', close == std::string::npos ? 0 : close);
    if (space == std::string::npos) continue;
    const std::string value = line.substr(space + 1);
    double v = 0;
    if (value == "+Inf") v = std::numeric_limits<double>::infinity();
    else if (value == "-Inf") v = -std::numeric_limits<double>::infinity();
    else if (value == "NaN") v = std::numeric_limits<double>::quiet_NaN();
    else v = std::stod(value);
    out[line.substr(0, space)] = v;
  }
  return out;
}

double sample(const Samples& samples, const std::string& series) {
  auto it = samples.find(series);
  if (it == samples.end()) throw std::out_of_range("no sample " + series + " in the scrape");
  return it->second;
}

PromtoolResult promtool_check_metrics(const std::string& text) {
  PromtoolResult result;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    result.output = "promtool not found: install the Debian package prometheus (scripts/install-deps.sh)";
    return result;
  }
  const auto dir = temp_dir("promtool");
  const auto input = dir / "scrape.txt";
  const auto output = dir / "promtool.out";
  std::ofstream(input) << text;
  const std::string command = "promtool check metrics < '" + input.string() + "' > '" + output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(output);
  result.output.assign(std::istreambuf_iterator<char>(in), {});
  return result;
}

}  // namespace crous::test
