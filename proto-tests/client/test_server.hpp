#pragma once
// The real crous::server::Server, in-process on an ephemeral loopback port,
// with two extra routes the error-path tests need:
//   "fail"  throws HandlerError("not_found", ...)  -> error record not_found
//   "boom"  throws std::runtime_error              -> error record handler_error
#include <functional>
#include <memory>

#include "crous/server/server.hpp"

namespace crous::test {

class TestServer {
 public:
  using Tweak = std::function<void(server::Options&)>;
  explicit TestServer(const Tweak& tweak = {});
  ~TestServer();
  unsigned short port() const;
  // The TLS port, when the tweak turned TLS on (tls_port and its files).
  unsigned short tls_port() const;

 private:
  std::unique_ptr<server::Server> server_;
};

}  // namespace crous::test
