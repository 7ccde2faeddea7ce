#pragma once
// The byte stream under one client connection: the TCP socket itself, or
// TLS over it (Options::tls). Both clients read, write, shake hands and say
// goodbye through this class and otherwise never ask which one it is.
//
// A Transport is made per connection: an SSL session cannot be reused after
// a failed handshake or a close, so reconnecting means a new Transport.
#include <chrono>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "crous/client/options.hpp"
#include "crous/client/tls.hpp"

namespace crous::client::detail {

// How long close() waits for the server's close_notify after sending its
// own. Our close_notify is written at once; the wait only lets a server
// that answers promptly finish cleanly, and bounds what an unresponsive one
// costs.
inline constexpr std::chrono::milliseconds tls_close_wait{100};

class Transport {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = boost::asio::ssl::stream<tcp::socket>;

  // Plain TCP when `tls_context` is null; otherwise TLS with that context,
  // prepared for `host` (SNI and the name the certificate must carry, see
  // prepare_tls_connection). Throws ClientError(tls_config).
  Transport(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls_context,
            const TlsOptions& options, std::string_view host)
      : stream_(std::in_place_type<tcp::socket>, executor) {
    if (tls_context == nullptr) return;
    stream_.emplace<TlsStream>(executor, *tls_context);
    prepare_tls_connection(ssl(), options, host);
  }

  bool is_tls() const noexcept { return std::holds_alternative<TlsStream>(stream_); }
  // The TCP layer: connect, socket options, cancel, close.
  tcp::socket& socket() noexcept {
    auto* tls = std::get_if<TlsStream>(&stream_);
    return tls != nullptr ? tls->next_layer() : std::get<tcp::socket>(stream_);
  }
  bool is_open() const noexcept {
    const auto* tls = std::get_if<TlsStream>(&stream_);
    return tls != nullptr ? tls->next_layer().is_open() : std::get<tcp::socket>(stream_).is_open();
  }
  // OpenSSL's session, for error descriptions; null for plain TCP.
  SSL* ssl() noexcept {
    auto* tls = std::get_if<TlsStream>(&stream_);
    return tls != nullptr ? tls->native_handle() : nullptr;
  }

  // Closing the socket ends every operation on either kind of stream.
  void close() noexcept {
    boost::system::error_code ignored;
    socket().close(ignored);
  }

  template <class Handler>
  void async_read_some(boost::asio::mutable_buffer buffer, Handler&& handler) {
    visit([&](auto& stream) { stream.async_read_some(buffer, std::forward<Handler>(handler)); });
  }

  // All of `bytes`. One contiguous buffer on purpose: ssl::stream's
  // write_some encrypts only the first buffer of a sequence per call, so a
  // gather list would go out one piece (and one TLS record) at a time.
  template <class Handler>
  void async_write(boost::asio::const_buffer bytes, Handler&& handler) {
    visit([&](auto& stream) { boost::asio::async_write(stream, bytes, std::forward<Handler>(handler)); });
  }

  // TLS only (is_tls()): the client side of the handshake.
  template <class Handler>
  void async_handshake(Handler&& handler) {
    std::get<TlsStream>(stream_).async_handshake(TlsStream::client, std::forward<Handler>(handler));
  }

  // TLS only: sends close_notify, then waits for the server's. Callers bound
  // the wait with tls_close_wait and close the socket.
  template <class Handler>
  void async_shutdown(Handler&& handler) {
    std::get<TlsStream>(stream_).async_shutdown(std::forward<Handler>(handler));
  }

 private:
  // Runs `op` on whichever stream this is. Both branches are instantiated,
  // one runs; `op` may move its captured handler in either.
  template <class Op>
  void visit(Op&& op) {
    if (auto* tls = std::get_if<TlsStream>(&stream_)) {
      op(*tls);
    } else {
      op(std::get<tcp::socket>(stream_));
    }
  }

  std::variant<tcp::socket, TlsStream> stream_;
};

}  // namespace crous::client::detail
