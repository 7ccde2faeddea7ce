#include "test_server.hpp"

#include <stdexcept>

#include "crous/server/error_record.hpp"
#include "crous/server/logging.hpp"

namespace crous::test {

TestServer::TestServer(const Tweak& tweak) {
  server::Options options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.workers = 1;
  options.log_level = "error";
  if (tweak) tweak(options);
  server::configure_logging(options.log_level, options.log_format);
  server_ = std::make_unique<server::Server>(options);
  server_->router().add("fail", [](const Value& request) -> Value {
    throw server::HandlerError("not_found", "no user " + request["user"].debug_string());
  });
  server_->router().add("boom", [](const Value&) -> Value { throw std::runtime_error("handler exploded"); });
  server_->start();
}

TestServer::~TestServer() {
  server_->shutdown();
  server_->wait();
}

unsigned short TestServer::port() const { return server_->port(); }
unsigned short TestServer::tls_port() const { return server_->tls_port(); }

}  // namespace crous::test
