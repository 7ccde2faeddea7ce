// What crous-server logs: JSON lines when asked, connection events at debug,
// protocol errors at warn with peer and offset, nothing per record at info.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

#include "server_test_util.hpp"

namespace crous::test {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

TEST(ServerLogging, JsonFormatWritesOneObjectPerLine) {
  ServerProcess proc({"--port", "0", "--log-format", "json", "--log-level", "debug"});
  {
    Client c(proc.port());
    c.send(Dict{{"op", "ping"}});
    c.read();
    // A protocol error with a quote-worthy message: the output must stay valid.
    c.send_bytes(std::vector<std::uint8_t>{'F', 'L', 'U', 'X', 1, 0, 0x05, 0x02, 0xc3, 0x28});
    EXPECT_EQ(error_code_of(c.read()), "decode_error");
    EXPECT_TRUE(c.closed_without_more_data());
  }
  proc.signal(SIGTERM);
  ASSERT_EQ(proc.wait_exit(10s), 0) << proc.log();
  auto lines = lines_of(proc.log());
  ASSERT_GE(lines.size(), 4u) << proc.log();
  bool saw_open = false, saw_warn = false;
  for (const auto& line : lines) {
    EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u) << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_NE(line.find("\",\"level\":\""), std::string::npos) << line;
    saw_open |= line.find("connection open: 127.0.0.1:") != std::string::npos;
    if (line.find("\"level\":\"warning\"") != std::string::npos && line.find("invalid_utf8") != std::string::npos) {
      saw_warn = true;
      EXPECT_NE(line.find("127.0.0.1:"), std::string::npos) << line;  // peer
      // The ping record (17 bytes) came first; 0xc3 is byte 8 of the bad record.
      EXPECT_NE(line.find("stream byte 25"), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(saw_open) << proc.log();
  EXPECT_TRUE(saw_warn) << proc.log();
}

TEST(ServerLogging, InfoLevelLogsNothingPerRecordOrConnection) {
  ServerProcess proc({"--port", "0"});
  std::size_t startup = proc.log().size();
  {
    Client c(proc.port());
    for (int i = 0; i < 100; ++i) c.send(Dict{{"op", "ping"}});
    for (int i = 0; i < 100; ++i) c.read();
  }
  proc.signal(SIGTERM);
  ASSERT_EQ(proc.wait_exit(10s), 0) << proc.log();
  std::string after = proc.log().substr(startup);
  EXPECT_EQ(after.find("connection open"), std::string::npos) << after;
  EXPECT_EQ(after.find("connection closed"), std::string::npos) << after;
  EXPECT_LE(lines_of(after).size(), 4u) << after;  // shutdown lines only
  EXPECT_NE(proc.log().find("max_record_bytes"), std::string::npos);  // the start-up summary
}

}  // namespace
}  // namespace crous::test
