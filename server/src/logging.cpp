#include "crous/server/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <stdexcept>

namespace crous::server {
namespace {

// One JSON object per line: {"time":"...Z","level":"warn","msg":"..."}.
// Messages are escaped here, so log call sites never worry about quoting.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    auto since_epoch = msg.time.time_since_epoch();
    std::time_t secs = duration_cast<seconds>(since_epoch).count();
    auto micros = duration_cast<microseconds>(since_epoch).count() % 1'000'000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[40];
    std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    append(dest, "{\"time\":\"");
    append(dest, std::string_view(stamp, n));
    char frac[16];
    int m = std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
    append(dest, std::string_view(frac, static_cast<std::size_t>(m)));
    append(dest, "\",\"level\":\"");
    auto level = spdlog::level::to_string_view(msg.level);
    append(dest, std::string_view(level.data(), level.size()));
    append(dest, "\",\"msg\":\"");
    escape(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    append(dest, "\"}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }

 private:
  static void append(spdlog::memory_buf_t& dest, std::string_view s) { dest.append(s.data(), s.data() + s.size()); }
  static void escape(spdlog::memory_buf_t& dest, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(ch);
      } else if (c < 0x20) {
        append(dest, "\\u00");
        dest.push_back(hex[c >> 4]);
        dest.push_back(hex[c & 15]);
      } else {
        dest.push_back(ch);
      }
    }
  }
};

}  // namespace

void configure_logging(std::string_view level, config::LogFormat format) {
  auto lvl = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to off; only "off" itself may mean off.
  if (lvl == spdlog::level::off && level != "off")
    throw std::invalid_argument("unknown log level '" + std::string(level) + "'");
  auto logger = std::make_shared<spdlog::logger>("crous", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == config::LogFormat::json) logger->set_formatter(std::make_unique<JsonFormatter>());
  else logger->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%fZ %-5l %v",
                                                                          spdlog::pattern_time_type::utc));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace crous::server
