// crous-echo end to end: the binary against the real server.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "child_process.hpp"
#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "test_server.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

ChildResult echo(unsigned short port, std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), {"--port", std::to_string(port)});
  return run_program(bin_dir() / "crous-echo", args, input);
}

// "@FILE". Built with += : g++ 12 warns (-Wrestrict, a false positive) about
// "@" + path.string().
std::string at_file(const std::filesystem::path& path) {
  std::string arg = "@";
  arg += path.string();
  return arg;
}

TEST(CrousEcho, CroutRecordComesBackAsPrettyCrout) {
  TestServer server;
  const auto result = echo(server.port(), {"{s4:name:s5:Alice}"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(parse_crout(result.out), Value(Dict{{"name", "Alice"}})) << result.out;
}

TEST(CrousEcho, JsonInJsonOut) {
  TestServer server;
  const auto result = echo(server.port(), {"--format", "json", R"({"name": "Alice", "scores": [98, 95, 100]})"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"name\":\"Alice\",\"scores\":[98,95,100]}\n");
}

TEST(CrousEcho, JsonMarkersKeepKindsJsonLacks) {
  TestServer server;
  const std::string record = R"({"b":{"$bytes":"AP8="},"t":{"$tuple":[1,2]},"s":{"$tag":90,"value":[1]},"n":{"$float":"nan"}})";
  const auto result = echo(server.port(), {"--format", "flux", record});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Value expected = Dict{{"b", Bytes{0x00, 0xff}}, {"t", Tuple{1, 2}}, {"s", Tagged(90, List{1})}};
  Value got = decode_flux(result.out);
  ASSERT_TRUE(got["n"].is_float() && std::isnan(got["n"].as_float())) << got.debug_string();
  got.as_dict().erase("n");
  EXPECT_EQ(got, expected);
}

TEST(CrousEcho, RecordsFromStdinAndFromFilesInEveryFormat) {
  TestServer server;
  const auto dir = temp_dir("echo-files");
  Bytes flux = encode_flux(Value(1));
  encode_flux(Value("two"), flux);
  write_file(dir / "records.flux", flux);
  std::ofstream(dir / "records.crout") << "CROUT1\ni3\nCROUT1\n[i4]\n";
  std::ofstream(dir / "records.jsonl") << "5\n{\"six\": 6}\n";
  const auto result = echo(server.port(), {"--format", "json", at_file(dir / "records.flux"),
                                            at_file(dir / "records.crout"), at_file(dir / "records.jsonl")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "1\n\"two\"\n3\n[4]\n5\n{\"six\":6}\n");

  const auto from_stdin = echo(server.port(), {"--format", "json"}, "[1, 2]\n\"x\"\n");
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, "[1,2]\n\"x\"\n");
}

// Files and stdin are told apart as the crous CLI tells them
// (crous::json::detect_format): CROUT after whitespace or a comment, and a
// bad record is named with its input and offset.
TEST(CrousEcho, InputsAreDetectedAndReadAsTheCliReadsThem) {
  TestServer server;
  const auto crout = echo(server.port(), {"--format", "json"}, "\n  // two documents\nCROUT1\ni7\nCROUT1\ns1:x\n");
  ASSERT_EQ(crout.exit_code, 0) << crout.err;
  EXPECT_EQ(crout.out, "7\n\"x\"\n");

  const auto dir = temp_dir("echo-bad-files");
  Bytes cut = encode_flux(Value(List{1, 2, 3}));
  cut.pop_back();
  write_file(dir / "cut.flux", cut);
  const auto truncated = echo(server.port(), {at_file(dir / "cut.flux")});
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_NE(truncated.err.find("cut.flux: truncated at byte " + std::to_string(cut.size())), std::string::npos) << truncated.err;
  const auto missing = echo(server.port(), {at_file(dir / "missing.flux")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
}

TEST(CrousEcho, OpPingIsTheHealthCheck) {
  TestServer server;
  const auto result = echo(server.port(), {"--op", "ping", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"pong\":true}\n");
  const auto quiet = echo(server.port(), {"--op", "ping", "--quiet"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "");
}

TEST(CrousEcho, ErrorResponseGivesExitStatusOne) {
  TestServer server;
  const auto result = echo(server.port(), {"--format", "json", "--op", "no-such-op", R"({"id": 3})", R"({"id": 4})"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("\"unknown_op\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"id\":4"), std::string::npos) << "every response is printed: " << result.out;
}

TEST(CrousEcho, CountAndPipelinePrintASummary) {
  TestServer server;
  const auto result = echo(server.port(), {"--count", "2000", "--pipeline", "16", "{s1:k:i1}"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("2000 records in"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("records/s"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("p50"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("p99"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("error responses 0"), std::string::npos) << result.out;
  EXPECT_EQ(result.err, "") << "no progress output when stderr is not a terminal";
}

TEST(CrousEcho, CountedErrorsFailTheRun) {
  TestServer server;
  const auto result = echo(server.port(), {"--count", "100", "--pipeline", "8", "--op", "no-such-op"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("error responses 100"), std::string::npos) << result.out;
}

TEST(CrousEcho, DistinctExitStatusForConnectionAndInputFailures) {
  const unsigned short nobody = free_port();
  const auto refused = echo(nobody, {"--op", "ping"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("connection_refused"), std::string::npos) << refused.err;

  const auto bad = echo(nobody, {"{s4:name"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not JSON, and not CROUT"), std::string::npos) << bad.err;

  const auto out_of_range = echo(nobody, {"[18446744073709551616]"});
  EXPECT_EQ(out_of_range.exit_code, 2);
  EXPECT_NE(out_of_range.err.find("integer 18446744073709551616 does not fit in 64 signed bits"), std::string::npos) << out_of_range.err;

  const auto usage = echo(nobody, {"--count", "0", "{}"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST(CrousEcho, HealthCheckAgainstTheServerBinary) {
  // What the Docker HEALTHCHECK runs, against the crous-server executable.
  ServerProcess server;
  const auto result = run_program(bin_dir() / "crous-echo", {"--port", std::to_string(server.port()), "--op", "ping", "--quiet", "--timeout", "2000"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server.stop(), 0) << "crous-server should exit cleanly on SIGTERM";
}

}  // namespace
}  // namespace crous::test
