#include "crous/client/async_client.hpp"

#include "async_connection.hpp"

namespace crous::client {

AsyncClient::AsyncClient(const executor_type& executor, Options options)
    : executor_(executor), connection_(std::make_shared<detail::AsyncConnection>(executor, options)) {}

AsyncClient::~AsyncClient() { close(); }

Compression AsyncClient::compression() const noexcept { return connection_->compression(); }

void AsyncClient::start_connect(std::string host, unsigned short port, std::unique_ptr<detail::Completion> completion) {
  boost::asio::post(connection_->strand(), [connection = connection_, host = std::move(host), port,
                                            completion = std::move(completion)]() mutable {
    connection->connect(host, port, std::move(completion));
  });
}

ReconnectStats AsyncClient::reconnect_stats() const noexcept { return connection_->reconnect_stats(); }

void AsyncClient::start_call(Value request, CallOptions options, std::unique_ptr<detail::Completion> completion) {
  boost::asio::post(connection_->strand(), [connection = connection_, request = std::move(request), options,
                                            completion = std::move(completion)]() mutable {
    connection->call(request, options, std::move(completion));
  });
}

void AsyncClient::close() {
  boost::asio::post(connection_->strand(), [connection = connection_] {
    connection->close();
  });
}

}  // namespace crous::client
