#include "session.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <algorithm>
#include <cstring>

#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "crous/server/error_record.hpp"
#include "dispatch.hpp"
#include "server_tls.hpp"

namespace crous::server::detail {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// After our last response, how long we keep swallowing a peer's input so the
// close is a FIN (not a RST that could destroy the response in flight).
// Shorter while draining: the process is waiting to exit.
constexpr auto kLinger = 2s;
constexpr auto kDrainLinger = 500ms;
// While draining, a connection that has sent nothing for this long is done.
constexpr auto kDrainQuiet = 200ms;
// Asio passes at most 64 buffers to one writev; more chunks go next time.
constexpr std::size_t kMaxGather = 64;
// How often a connection that is not being read, with async requests in
// flight, looks whether its client is still there (Session::peer_gone).
constexpr auto kPeerCheck = 500ms;

// A FIN shows as POLLRDHUP (Linux) even while requests are still unread
// before it; without POLLRDHUP only a reset (POLLHUP, POLLERR) can be seen.
#ifdef POLLRDHUP
constexpr short kPeerClosedEvents = POLLRDHUP;
#else
constexpr short kPeerClosedEvents = 0;
#endif

constexpr std::uint8_t kFluxHeader[6] = {'F', 'L', 'U', 'X', 1, 0};

// The first bytes of a plain Crous stream (FLUX, or the legacy CROU): a
// client that sends them to the TLS port is not speaking TLS.
bool starts_plain_record(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && (std::memcmp(bytes.data(), "FLUX", 4) == 0 || std::memcmp(bytes.data(), "CROU", 4) == 0);
}

// Up to 8 bytes, hex, with printable characters masked so request text
// (names, tokens) never lands in logs: "05 ff ff ** **".
std::string masked_sample(std::span<const std::uint8_t> bytes) {
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    if (!out.empty()) out += ' ';
    std::uint8_t b = bytes[i];
    if (b >= 0x20 && b < 0x7f) {
      out += "**";
    } else {
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out.empty() ? "(none)" : out;
}

// The longest deadline_ms taken literally (about 24 days): more cannot be
// added to a clock reading safely, and bounds nothing.
constexpr std::int64_t kMaxDeadlineMillis = std::int64_t{1} << 31;

std::int64_t millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

// The TLS layer of one connection. Reads land in a buffer of its own, not
// the shard's: an asynchronous TLS read decrypts into its buffer before its
// completion runs, so the buffer cannot be shared between connections.
struct Session::Tls {
  static constexpr std::size_t read_size = 16 * 1024;  // the most plaintext one TLS record carries

  Tls(tcp::socket& socket, std::shared_ptr<asio::ssl::context> ctx)
      : context(std::move(ctx)), stream(socket, *context) {
    ServerTls::set_rejection_note(stream.native_handle(), &rejection);
  }

  // Held for the stream's lifetime: the context owns the verify callback,
  // and a SIGHUP reload must not pull it from under an open connection.
  std::shared_ptr<asio::ssl::context> context;
  asio::ssl::stream<tcp::socket&> stream;
  std::string rejection;  // why tls_allowed_clients refused the certificate
  std::unique_ptr<std::uint8_t[]> read_buffer{new std::uint8_t[read_size]};
};

Session::Session(tcp::socket socket, Shard& shard, ServerCore& core, std::shared_ptr<asio::ssl::context> tls)
    : socket_(std::move(socket)), shard_(shard), core_(core), in_(core.limits) {
  if (tls) tls_ = std::make_unique<Tls>(socket_, std::move(tls));
}

Session::~Session() {
  // Normally done by close(); a session that never started is forgotten here.
  core_.budget.hold(*this, 0);
}

std::string Session::peer() const {
  if (peer_port_ == 0) return "unknown peer";
  const std::string address = peer_address_.to_string();
  return (peer_address_.is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(peer_port_);
}

void Session::start() {
  shard_.sessions.emplace(this, shared_from_this());
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  // Reads are attempted when the socket is readable and must not block.
  socket_.non_blocking(true, ec);
  auto ep = socket_.remote_endpoint(ec);  // for logs: a peer gone already has none
  if (!ec) {
    peer_address_ = ep.address();
    peer_port_ = ep.port();
  }
  draining_ = core_.draining.load();
  last_activity_ = clock::now();
  // What comes before the records (a PROXY header, a TLS handshake) must be
  // over within handshake_timeout of accept, whatever the peer trickles.
  handshake_deadline_ = last_activity_ + core_.options.handshake_timeout;
  if (core_.options.proxy_protocol) return start_proxy_header();
  open();
}

// The connection proper, once the PROXY header (if any) is read: the TLS
// handshake, or the records.
void Session::open() {
  if (tls_) return start_handshake();
  phase_ = Phase::serving;
  spdlog::debug("connection open: {}{}", peer(), proxied_);
  arm_timer(next_deadline(last_activity_));
  do_read();
}

// One error record in the clear, then the usual close (the connection
// carries on as a plain one just for that).
void Session::answer_and_close(std::string_view code, const std::string& message) {
  phase_ = Phase::serving;
  end_input(code, message);
  arm_timer(next_deadline(clock::now()));
  pump();
}

void Session::drain() {
  if (phase_ == Phase::closed || draining_) return;
  // Nothing has been asked on a connection still shaking hands. Behind a
  // PROXY header, though, requests may already wait (the proxy sends them
  // with it): the header is read on, and they are answered like any others.
  if (phase_ == Phase::handshaking) return close("shutdown");
  draining_ = true;
  if (phase_ == Phase::lingering) linger_deadline_ = std::min(linger_deadline_, clock::now() + kDrainLinger);
  // The timer re-evaluates with the short quiet period.
  pull_timer(clock::now());
}

void Session::force_close() {
  if (phase_ == Phase::closed) return;
  cancel_async(client::CancelReason::shutdown);
  // TLS or LZ4: a record (a block) cannot be written without possibly
  // blocking halfway, or leaving the stream undecodable.
  if (!writing() && phase_ != Phase::lingering && !tls_ && !lz4_) {
    // Best effort, never blocking: the socket may be full.
    Bytes bytes;
    encode_flux(error_record(codes::shutting_down, "server shutting down: drain deadline passed"), bytes);
    boost::system::error_code ec;
    socket_.write_some(asio::buffer(bytes), ec);
  }
  close("drain deadline passed");
}

// ---- PROXY protocol header ----

// proxy_protocol: the header comes first, before anything else (on the TLS
// port, before the ClientHello). Only its bytes are read from the socket,
// into the ProxyHeader; what follows is left for the records or OpenSSL.
void Session::start_proxy_header() {
  phase_ = Phase::proxy_header;
  proxy_header_ = std::make_unique<ProxyHeader>();
  arm_timer(handshake_deadline_);
  wait_for_proxy_header();
}

void Session::wait_for_proxy_header() { wait_readable("PROXY header", &Session::on_proxy_header_readable); }

void Session::on_proxy_header_readable(const boost::system::error_code& ec) {
  reading_ = false;
  if (phase_ == Phase::closed) return;
  if (ec) return fail(ec, "PROXY header");
  // Bounded: each read takes at most what the header still lacks.
  ProxyHeader::State state = ProxyHeader::State::reading;
  while (state == ProxyHeader::State::reading) {
    const std::span<std::uint8_t> room = proxy_header_->room();
    boost::system::error_code read_ec;
    const std::size_t n = socket_.read_some(asio::buffer(room.data(), room.size()), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) return wait_for_proxy_header();
    if (read_ec == asio::error::eof) {
      // Closed without a byte: a port probe or a TCP health check.
      if (proxy_header_->received() == 0) return close("closed before the PROXY header");
      return proxy_header_failed("the connection closed after " + std::to_string(proxy_header_->received()) +
                                 " of the header's " + std::to_string(proxy_header_->expected()) + " bytes");
    }
    if (read_ec) return fail(read_ec, "PROXY header");
    state = proxy_header_->commit(n);
  }
  if (state == ProxyHeader::State::invalid) return proxy_header_failed(proxy_header_->error());
  proxy_header_read();
}

void Session::proxy_header_read() {
  const std::string proxy = peer();
  if (const auto& source = proxy_header_->source()) {
    peer_address_ = source->address();
    peer_port_ = source->port();
    proxied_ = " (through proxy " + proxy + ")";
  } else {
    // LOCAL (the proxy's own connection: a health check), or a family
    // without an IP address: the socket's peer it is.
    proxied_ =
        proxy_header_->local() ? " (the proxy's own connection: PROXY LOCAL)" : " (PROXY header without an IP address)";
  }
  proxy_header_.reset();
  last_activity_ = clock::now();
  // max_connections_per_ip counts the client, now that it is known.
  if (core_.per_ip.limited() && !peer_address_.is_unspecified()) {
    if (!core_.per_ip.admit(peer_address_)) {
      if (tls_) return close("max_connections_per_ip");  // as the listener does on the TLS port
      return answer_and_close(codes::server_busy, core_.per_ip.refusal());
    }
    counted_per_ip_ = peer_address_;
  }
  open();
}

// Logged with the peer and what was wrong, counted, and the connection
// closed: nothing is read from a peer that does not come through the proxy.
void Session::proxy_header_failed(const std::string& reason) {
  core_.stats.add(Counter::proxy_header_failures);
  if (auto held_back = core_.proxy_header_warnings.admit())
    spdlog::warn(
        "no valid PROXY protocol v2 header from {}: {}; closing (proxy_protocol is on: every connection must "
        "come through the proxy){}",
        peer(), reason, LogThrottle::held_back_note(*held_back, "invalid PROXY headers"));
  close("invalid PROXY header");
}

// ---- TLS handshake ----

void Session::start_handshake() {
  phase_ = Phase::handshaking;
  arm_timer(handshake_deadline_);
  if (draining_) return close("shutdown");
  // The first bytes are looked at before OpenSSL sees them: a plain client
  // gets an error record it can read instead of a TLS alert it cannot.
  wait_readable("handshake", &Session::on_first_bytes);
}

void Session::on_first_bytes(const boost::system::error_code& ec) {
  reading_ = false;
  if (phase_ == Phase::closed) return;
  if (ec) return fail(ec, "handshake");
  std::uint8_t first[4];
  const ssize_t n = ::recv(socket_.native_handle(), first, sizeof first, MSG_PEEK);
  // Closed without a byte: a port probe or a TCP health check, not worth a warning.
  if (n == 0) return close("closed before the TLS handshake");
  if (n > 0 && starts_plain_record({first, static_cast<std::size_t>(n)})) return answer_plain_client();
  tls_->stream.async_handshake(asio::ssl::stream_base::server,
                               [self = shared_from_this()](const boost::system::error_code& e) {
                                 self->guarded("handshake", [&] { self->on_handshake(e); });
                               });
}

void Session::on_handshake(const boost::system::error_code& ec) {
  if (phase_ == Phase::closed) return;
  if (ec) {
    std::string reason = ec.message();
    SSL* ssl = tls_->stream.native_handle();
    if (!tls_->rejection.empty())
      reason += ": " + tls_->rejection;
    else if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK)
      reason += std::string(": client certificate: ") + X509_verify_cert_error_string(verify);
    return handshake_failed(reason);
  }
  phase_ = Phase::serving;
  last_activity_ = clock::now();
  SSL* ssl = tls_->stream.native_handle();
  spdlog::debug("connection open: {} ({}, {}){}", peer(), SSL_get_version(ssl), SSL_get_cipher_name(ssl), proxied_);
  arm_timer(next_deadline(last_activity_));
  do_read();
}

// Logged with the peer and the reason, counted, and the connection closed;
// nothing else is affected.
void Session::handshake_failed(const std::string& reason) {
  core_.stats.add(Counter::tls_handshake_failures);
  if (auto held_back = core_.handshake_warnings.admit())
    spdlog::warn("TLS handshake failed from {}: {}; closing{}", peer(), reason,
                 LogThrottle::held_back_note(*held_back, "failed handshakes"));
  close("TLS handshake failed");
}

// A plain Crous client on the TLS port: tls_required in the clear.
void Session::answer_plain_client() {
  core_.stats.add(Counter::tls_handshake_failures);
  if (core_.handshake_warnings.admit())
    spdlog::warn(
        "TLS handshake failed from {}: the client sent a plain Crous record to the TLS port; answering "
        "tls_required in the clear and closing",
        peer());
  tls_.reset();
  answer_and_close(codes::tls_required, "this port speaks TLS: connect with TLS, or use the server's plain port");
}

// ---- input ----

// False while the server, not the peer, holds the input back: responses the
// client is not taking (high_watermark, counting the requests held by
// offloaded and async handlers), or too many of those in flight.
bool Session::accepting_input() const noexcept {
  return pending_output() + in_flight_bytes_ < core_.options.high_watermark &&
         in_flight_ < core_.options.max_offloads_per_connection;
}

void Session::maybe_read() {
  if (reading_ || peer_eof_ || waiting_for_memory_) return;
  if (phase_ == Phase::lingering) return do_read();
  if (phase_ != Phase::serving || !accepting_input()) return;
  do_read();
}

// A connection that is not being read (at its in-flight cap, over
// high_watermark, answering, waiting for memory) has no read to see its
// client go. With async requests in flight that matters: they are to be
// cancelled when the client goes (docs/protocol.md, Cancellation), not when
// a handler ends and a write fails, which may be minutes later. So while
// that lasts the timer looks at the socket every kPeerCheck; nothing is
// spent on connections being read, nor per record.
bool Session::watching_peer() const noexcept {
  return (phase_ == Phase::serving || phase_ == Phase::answering) && !reading_ && !peer_eof_ &&
         !async_requests_.empty();
}

void Session::watch_peer() {
  if (watching_peer()) pull_timer(clock::now() + kPeerCheck);
}

// Why the client is gone, seen without reading (what is queued stays
// queued): its FIN, even behind requests not read yet (with async requests
// in flight that is the client gone, as when a read meets it), or a reset.
// Null while it is there. On the TLS port this is the TCP connection under
// TLS: socket_ is the stream's lowest layer.
const char* Session::peer_gone() {
  pollfd p{};
  p.fd = socket_.native_handle();
  p.events = kPeerClosedEvents;
  if (::poll(&p, 1, 0) != 1) return nullptr;
  if (p.revents & (POLLERR | POLLHUP)) return "peer reset with async requests in flight";
  if (p.revents & kPeerClosedEvents) return "peer closed with async requests in flight";
  return nullptr;
}

void Session::do_read() {
  if (tls_) {
    if (phase_ == Phase::lingering) return;  // async_shutdown reads for itself
    // The read lands before the session sees it: ask the budget now.
    if (!may_grow_input()) return;
    reading_ = true;
    tls_->stream.async_read_some(asio::buffer(tls_->read_buffer.get(), Tls::read_size),
                                 [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                                   self->guarded("read", [&] { self->on_tls_read(ec, n); });
                                 });
    return;
  }
  wait_readable("read", &Session::on_readable);
}

// One readability wait in flight; `then` runs guarded, as `what`.
void Session::wait_readable(const char* what, void (Session::*then)(const boost::system::error_code&)) {
  reading_ = true;
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this(), what, then](const boost::system::error_code& ec) {
                       self->guarded(what, [&] { (self.get()->*then)(ec); });
                     });
}

// A read may grow the buffer of an unfinished record: ask the budget first.
// No: stop reading until memory frees (the bytes wait in the kernel).
bool Session::may_grow_input() {
  if (in_.empty()) return true;
  // While the buffer grows, the old and the new storage both exist: the
  // read must fit the whole new capacity.
  const std::size_t grown = in_.capacity_after(RecordBuffer::read_chunk);
  if (grown == in_.capacity() || core_.budget.admit(*this, grown)) return true;
  waiting_for_memory_ = true;
  record_started_ = clock::now();  // the wait is ours, not the peer's
  return false;
}

void Session::on_readable(const boost::system::error_code& ec) {
  reading_ = false;
  if (phase_ == Phase::closed) return;
  if (ec) return fail(ec, "read");
  if (phase_ == Phase::lingering) return discard_input();
  if (!may_grow_input()) return watch_peer();
  boost::system::error_code read_ec;
  const std::size_t n = socket_.read_some(asio::buffer(shard_.read_buffer.get(), RecordBuffer::read_chunk), read_ec);
  if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) return do_read();
  received(read_ec, {shard_.read_buffer.get(), n});
}

void Session::on_tls_read(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (phase_ == Phase::closed || phase_ == Phase::lingering) return;
  received(ec, {tls_->read_buffer.get(), n});
}

void Session::received(const boost::system::error_code& ec, std::span<const std::uint8_t> bytes) {
  // A TLS peer that closes without close_notify (stream_truncated) has
  // still ended its input: a cut record is caught by the framing check.
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    peer_eof_ = true;
    if (!async_requests_.empty()) return close("peer closed with async requests in flight");
  } else if (ec) {
    return fail(ec, "read");
  } else {
    shard_.counters.add(Counter::bytes_in, bytes.size());
    total_in_ += bytes.size();
    last_activity_ = clock::now();
    if (lz4_)
      lz4_->received(bytes);
    else if (in_.empty())
      in_.borrow(bytes);  // the usual case: frame the records where they were read
    else
      in_.append(bytes);
  }
  pump();
}

// Our side is shut: swallow what the peer still sends until it closes.
void Session::discard_input() {
  boost::system::error_code ec;
  socket_.read_some(asio::buffer(shard_.read_buffer.get(), RecordBuffer::read_chunk), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return close(finish_reason_);
  do_read();
}

// After processing: the bytes still needed move out of the shard's buffer
// into the session's own, the budget learns what the session holds, and the
// record clock starts or stops.
void Session::settle_input() {
  if (phase_ != Phase::serving) {
    in_.clear();  // nothing more will be framed
  } else {
    in_.keep_rest();
    in_.release();  // only when nothing is left: an idle connection holds no buffer
  }
  // A compressed connection's LZ4 pages and the compressed bytes waiting for
  // the rest of their block count too.
  const std::size_t held = in_.capacity() + (lz4_ && phase_ != Phase::closed ? lz4_->memory() : 0);
  if (held != budget_held_) {
    budget_held_ = held;
    core_.budget.hold(*this, budget_held_);
  }
  if (!in_.mid_record() && !(lz4_ && phase_ == Phase::serving && lz4_->mid_block())) {
    record_started_ = {};
  } else if (record_started_ == clock::time_point{} || !accepting_input() || waiting_for_memory_) {
    // The clock runs only while the peer is the one we wait for.
    record_started_ = clock::now();
    pull_timer(record_started_ + core_.options.record_timeout);
  }
}

// ---- the steps after every I/O event ----

void Session::pump() {
  if (phase_ == Phase::closed || in_preamble()) return;
  if (phase_ == Phase::serving) process_input();
  if (phase_ == Phase::closed) return;
  settle_input();
  publish_stats();
  flush();
  maybe_read();
  maybe_finish();
  watch_peer();
}

// pump(), once, after the handlers already queued on this thread have run:
// async answers completing in one turn of the event loop (a Pool read
// delivering many responses resumes many handlers) leave in one write
// instead of one write each.
void Session::pump_soon() {
  if (pump_posted_) return;
  pump_posted_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->pump_posted_ = false;
    self->guarded("pump", [&] { self->pump(); });
  });
}

// Answers every complete record in the buffer (the batch), like Redis'
// processInputBuffer; the responses then leave in one write. Stops early
// when the server holds input back, so high_watermark holds per record: at
// most one response past it.
void Session::process_input() {
  while (phase_ == Phase::serving && accepting_input()) {
    std::optional<std::span<const std::uint8_t>> record;
    try {
      record = in_.next();
    } catch (const DecodeError& e) {
      return protocol_error(e);
    }
    if (!record) {
      if (lz4_ && next_block()) continue;
      break;
    }
    record_started_ = {};  // the clock is per record: the next one starts its own
    handle_record(*record);
  }
  if (phase_ == Phase::serving && peer_eof_ && accepting_input() && !waiting_for_memory_) {
    if (lz4_) {
      try {
        lz4_->finish_input();
      } catch (const DecodeError& e) {
        return protocol_error(e);
      }
    }
    if (!in_.empty()) {
      return protocol_error(DecodeError(
          ErrorCode::truncated, in_.end_offset(),
          "connection closed inside a record (" + std::to_string(in_.buffered()) + " bytes of it received)"));
    }
    // The end of input while async handlers run is the client gone: they
    // are cancelled and nothing more is written (docs/protocol.md).
    if (!async_requests_.empty()) return close("peer closed with async requests in flight");
    phase_ = Phase::answering;
    finish_reason_ = "peer closed";
  }
}

// Moves the next decompressed LZ4 block into the record buffer; false when
// none has fully arrived or memory must be waited for. A decompression bomb
// is bounded here: one page at a time, framed (and max_record_bytes
// enforced) before the next.
bool Session::next_block() {
  std::optional<std::span<const std::uint8_t>> block;
  try {
    block = lz4_->block();
  } catch (const DecodeError& e) {  // its message counts compressed bytes, and says so
    protocol_error(e);
    return false;
  }
  if (!block) return false;
  in_.keep_rest();  // appending ends a borrow
  const std::size_t grown = in_.capacity_after(block->size());
  if (grown != in_.capacity() && !in_.empty() && !core_.budget.admit(*this, grown)) {
    waiting_for_memory_ = true;
    return false;
  }
  in_.append(*block);
  lz4_->take();
  return true;
}

// {"op": "hello", "compression": ["lz4", ...]}: the first record of a
// connection may switch it to LZ4 (docs/protocol.md, "Compression").
void Session::hello(const Value& request) {
  const Value* offered = request.find("compression");
  if (total_records_ != 1 || lz4_)
    return append_error(codes::bad_request, "hello must be the first record of a connection", &request);
  if (offered && !offered->is_list())
    return append_error(codes::bad_request, "hello: \"compression\" must be a list of names", &request);
  bool lz4 = false;
  if (offered && core_.options.compression == config::Compression::lz4)
    for (const Value& name : offered->as_list())
      if (name.is_string() && name.as_string() == "lz4") lz4 = true;
  const Lz4Format format;
  std::unique_ptr<Lz4Link> link;
  if (lz4) {
    // A compressed connection holds its LZ4 pages for as long as it lives;
    // they come out of the input budget, and when that has no room the
    // connection simply stays uncompressed (nobody is evicted for it).
    link = std::make_unique<Lz4Link>(format);
    if (core_.budget.used() + link->memory() > core_.budget.limit()) {
      spdlog::debug("connection {}: hello asked for lz4; the input budget has no room for its pages, answering none",
                    peer());
      link.reset();
      lz4 = false;
    }
  }
  Dict response{{"protocol", 1}, {"compression", lz4 ? "lz4" : "none"}};
  if (lz4) {
    response.insert_or_assign("page_size", static_cast<std::int64_t>(format.page_size));
    response.insert_or_assign("size_bytes", static_cast<std::int64_t>(format.size_bytes));
  }
  if (const Value* id = request.find("id")) response.insert_or_assign("id", *id);
  out_.emit([&](Bytes& out) { encode_flux(Value(std::move(response)), out); });
  shard_.counters.add(Counter::records_out);
  if (!lz4) return;
  // The switch: this response goes out plain; every later byte both ways
  // is LZ4. What the client sent after its hello is already compressed.
  lz4_ = std::move(link);
  plain_output_left_ = out_.pending_bytes();
  const auto rest = in_.unconsumed();
  lz4_->received(rest);
  in_.consume(rest.size());
}

void Session::handle_record(ByteView record) {
  shard_.counters.add(Counter::records_in);
  ++total_records_;
  const LatencyClock::Ticks started = latency_start();
  Value request;
  try {
    request = decode_flux(record, core_.limits);
  } catch (const DecodeError& e) {
    return protocol_error(DecodeError(e.code(), in_.record_offset() + e.offset(), e.message()));
  }

  const Route* route = nullptr;
  const Value* op = request.is_dict() ? request.find(core_.options.route_key) : nullptr;
  if (op && op->is_string() && op->as_string() == "hello") return hello(request);
  if (op && op->is_string()) {
    route = core_.router.find(op->as_string());
    if (!route) {
      shard_.counters.add(Counter::unknown_ops);
      append_error(codes::unknown_op, "unknown op '" + op->as_string() + "'", &request);
      // One label value for every op not registered: clients cannot make series.
      return observe_latency(unregistered_label(), started);
    }
  } else {
    route = core_.router.find(core_.options.default_route);
    if (!route) {  // only if the router was changed behind the server's back
      shard_.counters.add(Counter::unknown_ops);
      append_error(codes::unknown_op, "no default route '" + core_.options.default_route + "'", &request);
      return observe_latency(unregistered_label(), started);
    }
  }

  std::optional<clock::time_point> deadline;
  if (deadline_refused(request, *route, started, deadline)) return;

  switch (route->execution) {
    case Execution::echo:
      // The request was just validated; when it is already canonical FLUX
      // its own bytes are the response, with no re-encoding.
      if (record.size() >= sizeof kFluxHeader && std::memcmp(record.data(), kFluxHeader, sizeof kFluxHeader) == 0)
        out_.emit([&](Bytes& out) { out.insert(out.end(), record.begin(), record.end()); });
      else
        out_.emit([&](Bytes& out) { encode_flux(request, out); });
      shard_.counters.add(Counter::records_out);
      return observe_latency(core_.router.index_of(*route), started);
    case Execution::inline_io: {
      HandlerOutcome outcome = call_handler(*route, request);
      if (outcome.failed) shard_.counters.add(Counter::handler_errors);
      try {
        out_.emit([&](Bytes& out) { encode_flux(outcome.response, out); });
      } catch (const std::exception& e) {  // e.g. a response nested deeper than FLUX allows
        shard_.counters.add(Counter::handler_errors);
        append_error(codes::handler_error, std::string("response cannot be encoded: ") + e.what(), &request);
        return observe_latency(core_.router.index_of(*route), started);
      }
      shard_.counters.add(Counter::records_out);
      return observe_latency(core_.router.index_of(*route), started);
    }
    case Execution::offloaded:
      // Observed when the response (or the timeout's error) fills its slot.
      return offload(*route, std::move(request), record.size(), started, deadline);
    case Execution::async: return run_async(*route, std::move(request), record.size(), started, deadline);
  }
}

// The request's "deadline_ms" (docs/protocol.md, "Deadlines"): a malformed
// one is bad_request, 0 has passed already; either way the handler does not
// run. Otherwise `deadline` is set (counted from now, when the record has
// been framed). Inline and echo routes answer at once, so only the
// offloaded and async paths use it.
bool Session::deadline_refused(const Value& request, const Route& route, LatencyClock::Ticks started,
                               std::optional<clock::time_point>& deadline) {
  const Value* field = request.is_dict() ? request.find(client::deadline_field) : nullptr;
  if (!field) return false;
  if (!field->is_int() || field->as_int() < 0) {
    append_error(codes::bad_request, "deadline_ms must be a whole number of milliseconds, 0 or more", &request);
  } else if (field->as_int() == 0) {
    shard_.counters.add(Counter::deadline_exceeded);
    append_error(codes::deadline_exceeded, "the request's deadline (deadline_ms 0) had passed on arrival", &request);
  } else {
    deadline = clock::now() + std::chrono::milliseconds(std::min(field->as_int(), kMaxDeadlineMillis));
    return false;
  }
  observe_latency(core_.router.index_of(route), started);
  return true;
}

// When an offloaded or async request must be answered at the latest: the
// earlier of the route's timeout and the request's deadline.
std::optional<Session::SlotDeadline> Session::slot_deadline(const Route& route,
                                                            std::optional<clock::time_point> request_deadline,
                                                            const Value& request, LatencyClock::Ticks started,
                                                            OutputQueue::Slot slot, clock::time_point now) const {
  std::optional<SlotDeadline> d;
  if (route.timeout.count() > 0) d = SlotDeadline{slot, now + route.timeout, &route, true, {}, started, nullptr};
  if (request_deadline && (!d || *request_deadline < d->at))
    d = SlotDeadline{slot, *request_deadline, &route, false, {}, started, nullptr};
  if (d) d->id = id_of(request);
  return d;
}

// {"id": <the request's id>}, what error_record() copies the id from; null
// without one. Kept apart from a request that is the handler's to move.
Value Session::id_of(const Value& request) {
  if (const Value* found = request.is_dict() ? request.find("id") : nullptr) return Dict{{"id", *found}};
  return Value();
}

void Session::offload(const Route& route, Value request, std::size_t request_bytes, LatencyClock::Ticks started,
                      std::optional<clock::time_point> deadline) {
  const OutputQueue::Slot slot = out_.reserve();
  ++in_flight_;
  in_flight_bytes_ += request_bytes;
  // A job still queued when its deadline passes is not run at all.
  clock::time_point run_before = clock::time_point::max();
  if (auto d = slot_deadline(route, deadline, request, started, slot, clock::now())) {
    run_before = d->at;
    pull_timer(d->at);
    slot_deadlines_.push_back(std::move(*d));
  }
  core_.workers.submit(this, [self = shared_from_this(), &route, request = std::move(request), slot, request_bytes,
                              started, run_before]() mutable {
    Bytes response;
    bool failed = true;
    const bool skipped = clock::now() >= run_before;
    try {
      if (!skipped) {
        HandlerOutcome outcome = call_handler(route, request);
        const bool encoded = encode_response(outcome.response, request, response);
        failed = outcome.failed || !encoded;
      }
    } catch (const std::exception&) {
      // Not even an error record could be made (out of memory): the empty
      // response tells the session to give up on the connection.
      response.clear();
    }
    // Read the executor before `self` is moved into the completion.
    auto executor = self->socket_.get_executor();
    asio::post(executor, [self = std::move(self), slot, response = std::move(response), request_bytes, failed, skipped,
                          &route, started]() mutable {
      self->guarded("offloaded response", [&] {
        self->on_offload_done(slot, std::move(response), request_bytes, failed, skipped, route, started);
      });
    });
  });
}

void Session::on_offload_done(OutputQueue::Slot slot, Bytes response, std::size_t request_bytes, bool failed,
                              bool skipped, const Route& route, LatencyClock::Ticks started) {
  --in_flight_;
  in_flight_bytes_ -= request_bytes;
  if (phase_ == Phase::closed) return;
  if (skipped) {
    settle_expired(slot);
    return pump();
  }
  if (response.empty()) throw std::runtime_error("an offloaded response could not be made");
  std::erase_if(slot_deadlines_, [slot](const SlotDeadline& d) { return d.slot == slot; });
  // A slot already answered by its deadline drops the late result.
  if (out_.fill(slot, std::move(response))) {
    shard_.counters.add(Counter::records_out);
    if (failed) shard_.counters.add(Counter::handler_errors);
    observe_latency(core_.router.index_of(route), started);
  }
  pump();
}

// An async route's handler runs as a coroutine on this thread (co_spawn);
// its response fills the slot reserved here. Its context carries the
// deadline and is cancelled when the deadline passes or the connection
// ends (cancel_async).
void Session::run_async(const Route& route, Value request, std::size_t request_bytes, LatencyClock::Ticks started,
                        std::optional<clock::time_point> deadline) {
  const OutputQueue::Slot slot = out_.reserve();
  auto d = slot_deadline(route, deadline, request, started, slot, clock::now());
  Value id = d ? d->id : id_of(request);
  auto call =
      std::make_shared<AsyncRequest>(std::move(request), std::move(id), route, slot, request_bytes, started,
                                     socket_.get_executor(), shard_.index, d ? d->at : RequestContext::no_deadline);
  if (d) {
    d->context = &call->context;
    pull_timer(d->at);
    slot_deadlines_.push_back(std::move(*d));
  }
  async_requests_.push_back(call);
  auto done = [self = shared_from_this(), call](std::exception_ptr error, Value response) {
    self->guarded("async response", [&] { self->on_async_done(*call, std::move(error), std::move(response)); });
  };
  // Counted once nothing above can throw any more (on_async_done undoes it).
  ++in_flight_;
  in_flight_bytes_ += request_bytes;
  core_.stats.add(Counter::async_running);
  std::optional<asio::awaitable<Value>> work;  // awaitable has no assignment
  try {
    work.emplace(route.async_handler(call->request, call->context));
  } catch (...) {  // threw before its first suspension point: answered like any other failure, but not from here
    return asio::post(shard_.ctx,
                      [done = std::move(done), error = std::current_exception()]() mutable { done(error, Value()); });
  }
  asio::co_spawn(shard_.ctx, std::move(*work), std::move(done));
}

void Session::on_async_done(AsyncRequest& call, std::exception_ptr error, Value response) {
  --in_flight_;
  in_flight_bytes_ -= call.request_bytes;
  core_.stats.subtract(Counter::async_running);
  std::erase_if(async_requests_, [&](const std::shared_ptr<AsyncRequest>& r) { return r.get() == &call; });
  if (phase_ == Phase::closed) {
    std::erase_if(slot_deadlines_, [&](const SlotDeadline& d) { return d.slot == call.slot; });
    return;
  }
  // A failure at or after the deadline (a downstream call that gave up at
  // the same moment) is the deadline's doing.
  if (error && call.context.has_deadline() && clock::now() >= call.context.deadline()) settle_expired(call.slot);
  std::erase_if(slot_deadlines_, [&](const SlotDeadline& d) { return d.slot == call.slot; });
  // A slot already answered by its deadline drops the late result.
  if (!out_.filled(call.slot)) {
    Bytes bytes;
    bool failed = true;
    if (error)
      encode_flux(error_for(error, call.id), bytes);
    else
      failed = !encode_response(response, call.id, bytes);
    out_.fill(call.slot, std::move(bytes));
    shard_.counters.add(Counter::records_out);
    if (failed) shard_.counters.add(Counter::handler_errors);
    observe_latency(core_.router.index_of(call.route), call.started);
  }
  pump_soon();
}

// The connection ends: its async handlers are cancelled (their Pool calls
// end at once) and nothing will be written for them.
void Session::cancel_async(client::CancelReason reason) noexcept {
  if (async_requests_.empty()) return;
  // A copy: cancellation callbacks only post, but the list must not move under them.
  const auto running = async_requests_;
  for (const auto& call : running) cancel_context(call->context, reason);
}

// Runs the context's callbacks; one that throws (it should not) is logged,
// and the connection carries on.
void Session::cancel_context(RequestContext& context, client::CancelReason reason) noexcept {
  try {
    context.cancel(reason);
  } catch (const std::exception& e) {
    spdlog::error("connection {}: a cancellation callback threw: {}", peer(), e.what());
  } catch (...) {
    spdlog::error("connection {}: a cancellation callback threw", peer());
  }
}

// Answers the requests whose deadline passed (handler_timeout or
// deadline_exceeded) and cancels the async ones. An offloaded handler keeps
// its worker until it returns; its late result is dropped.
void Session::expire_slots(clock::time_point now) {
  bool expired = false;
  std::erase_if(slot_deadlines_, [&](const SlotDeadline& d) {
    if (d.at > now) return false;
    expired = answer_expired(d) || expired;
    return true;
  });
  if (expired) pump();
}

bool Session::answer_expired(const SlotDeadline& d) {
  Bytes bytes;
  const Value* id = d.id.is_null() ? nullptr : &d.id;
  if (d.route_timeout) {
    encode_flux(error_record(codes::handler_timeout,
                             "handler for op '" + d.route->op + "' did not finish within " +
                                 std::to_string(d.route->timeout.count()) + " ms",
                             id),
                bytes);
  } else {
    encode_flux(error_record(codes::deadline_exceeded,
                             "op '" + d.route->op + "' did not finish before the request's deadline (deadline_ms)", id),
                bytes);
  }
  const bool answered = out_.fill(d.slot, std::move(bytes));
  if (answered) {
    shard_.counters.add(d.route_timeout ? Counter::handler_timeouts : Counter::deadline_exceeded);
    shard_.counters.add(Counter::records_out);
    observe_latency(core_.router.index_of(*d.route), d.started);
  }
  // The client has its answer: the handler's wait ends now.
  if (d.context) cancel_context(*d.context, client::CancelReason::deadline);
  return answered;
}

// A request that ended past its deadline is answered as expired, whether
// or not the timer has fired for it yet.
void Session::settle_expired(OutputQueue::Slot slot) {
  std::erase_if(slot_deadlines_, [&](const SlotDeadline& d) {
    if (d.slot != slot) return false;
    answer_expired(d);
    return true;
  });
}

// Decode errors and oversize records: the stream can no longer be framed, so
// after this error record nothing more is read; the connection closes once
// every earlier response and this one are out. `error` counts from the
// start of the stream.
void Session::protocol_error(const DecodeError& error) {
  const bool too_large = error.code() == ErrorCode::limit_exceeded;
  shard_.counters.add(too_large ? Counter::records_too_large : Counter::decode_errors);
  const auto held = in_.unconsumed();
  const std::uint64_t into = error.offset() - std::min<std::uint64_t>(error.offset(), in_.stream_offset());
  // A TLS ClientHello starts 16 03: say what it probably is.
  const bool tls_hello =
      total_records_ == 0 && in_.stream_offset() == 0 && held.size() >= 2 && held[0] == 0x16 && held[1] == 0x03;
  spdlog::warn("protocol error from {}: {} at stream byte {}: {} [bytes at error: {}]{}; closing", peer(),
               to_string(error.code()), error.offset(), error.message(),
               masked_sample(held.subspan(std::min<std::size_t>(static_cast<std::size_t>(into), held.size()))),
               tls_hello ? " (a TLS handshake: a TLS client on the plain port?)" : "");
  end_input(
      too_large ? codes::record_too_large : codes::decode_error,
      std::string(to_string(error.code())) + " at byte " + std::to_string(error.offset()) + ": " + error.message());
}

// The one way input ends early: an error record after the responses already
// owed, then no more reading; the connection closes once they are out.
void Session::end_input(std::string_view code, const std::string& message) {
  if (phase_ != Phase::serving) return;
  append_error(code, message, nullptr);
  phase_ = Phase::answering;
  finish_reason_ = "protocol error";
}

void Session::append_error(std::string_view code, std::string_view message, const Value* request) {
  Value record = error_record(code, message, request);
  out_.emit([&](Bytes& out) { encode_flux(record, out); });
  shard_.counters.add(Counter::records_out);
}

// ---- output ----

// LZ4: every ready response goes into wire_, compressed (the hello's own
// response excepted), and the batch ends with a block flush so the client
// can decompress all of it.
void Session::compress_ready_output() {
  wire_.clear();
  wire_sent_ = 0;
  const auto& pieces = out_.gather(kMaxGather);
  if (pieces.empty()) return;
  std::size_t taken = 0;
  for (auto piece : pieces) {
    const std::size_t plain = std::min(plain_output_left_, piece.size());
    wire_.insert(wire_.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(plain));
    plain_output_left_ -= plain;
    lz4_->compress(piece.subspan(plain), wire_);
    taken += piece.size();
  }
  lz4_->end_batch(wire_);
  out_.written(taken);
}

void Session::flush() {
  if (phase_ == Phase::closed || phase_ == Phase::lingering || writing()) return;
  write_bufs_.clear();
  if (lz4_) {
    if (wire_sent_ == wire_.size()) compress_ready_output();
    if (wire_sent_ == wire_.size()) return;
    write_bufs_.emplace_back(wire_.data() + wire_sent_, wire_.size() - wire_sent_);
    wire_writing_ = true;
  } else {
    const auto& pieces = out_.gather(kMaxGather);
    if (pieces.empty()) return;
    for (const auto& piece : pieces) write_bufs_.emplace_back(piece.data(), piece.size());
  }
  write_started_ = clock::now();
  pull_timer(write_started_ + core_.options.write_timeout);
  // write_some, not async_write: every partial write is progress, so a
  // client that reads slowly but steadily is never taken for a slow consumer.
  auto on_written = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
    self->guarded("write", [&] { self->on_write(ec, n); });
  };
  // A TLS write takes one contiguous buffer (at most one TLS record goes
  // out per call); a batch of responses is one chunk, so that is the batch.
  if (tls_)
    tls_->stream.async_write_some(write_bufs_.front(), std::move(on_written));
  else
    socket_.async_write_some(write_bufs_, std::move(on_written));
}

void Session::on_write(const boost::system::error_code& ec, std::size_t n) {
  if (phase_ == Phase::closed) return;
  if (ec) return fail(ec, "write");
  if (lz4_) {
    wire_writing_ = false;
    wire_sent_ += n;
  } else {
    out_.written(n);
  }
  shard_.counters.add(Counter::bytes_out, n);
  total_out_ += n;
  last_activity_ = clock::now();
  pump();
}

// ---- closing ----

void Session::maybe_finish() {
  if (phase_ != Phase::answering) return;
  if (!output_empty() || in_flight_ != 0) return;
  finish(finish_reason_);
}

void Session::finish(const char* reason) {
  if (phase_ == Phase::closed || phase_ == Phase::lingering) return;
  finish_reason_ = reason;
  if (!tls_) {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    if (peer_eof_) return close(reason);
  }
  phase_ = Phase::lingering;
  in_.clear();
  settle_input();
  waiting_for_memory_ = false;
  linger_deadline_ = clock::now() + (draining_ ? kDrainLinger : kLinger);
  pull_timer(linger_deadline_);
  if (tls_) {
    // close_notify, then the peer's close_notify (or its FIN); application
    // data it still sends meanwhile is discarded. The linger deadline
    // bounds the wait.
    tls_->stream.async_shutdown([self = shared_from_this()](const boost::system::error_code&) {
      self->guarded("close", [&] { self->close(self->finish_reason_); });
    });
    return;
  }
  maybe_read();
}

void Session::fail(const boost::system::error_code& ec, const char* what) {
  if (ec == asio::error::operation_aborted && phase_ == Phase::closed) return;
  spdlog::debug("connection {} {} error: {}", peer(), what, ec.message());
  close(what);
}

void Session::close(const char* reason) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  cancel_async(client::CancelReason::disconnected);
  in_.clear();
  settle_input();  // gives the budget back
  publish_stats();
  boost::system::error_code ignored;
  socket_.close(ignored);
  shard_.deadlines.cancel(*this);
  core_.stats.subtract(Counter::connections_open);
  if (counted_per_ip_) core_.per_ip.remove(*counted_per_ip_);
  spdlog::debug("connection closed: {} ({}): {} records, {} bytes in, {} bytes out", peer(), reason, total_records_,
                total_in_, total_out_);
  auto self = shared_from_this();  // the shard's reference goes next
  shard_.sessions.erase(this);
  core_.on_session_closed();
}

// ---- time ----

bool Session::idle() const noexcept {
  return !writing() && in_flight_ == 0 && output_empty() && (!draining_ || in_.empty());
}

Session::clock::duration Session::idle_period() const noexcept {
  clock::duration idle = core_.options.idle_timeout;
  return draining_ ? std::min<clock::duration>(idle, kDrainQuiet) : idle;
}

// The session's earliest deadline sits in the shard's DeadlineQueue.
// Deadlines move by plain assignment on each read and write; the queue entry
// only moves when on_timer() runs or when a deadline moves earlier.
Session::clock::time_point Session::next_deadline(clock::time_point now) const noexcept {
  if (in_preamble()) return handshake_deadline_;
  if (phase_ == Phase::lingering) return linger_deadline_;
  auto next = last_activity_ + idle_period();
  if (next <= now) next = now + idle_period();  // idle is due but work is pending: look again later
  if (writing()) next = std::min(next, write_started_ + core_.options.write_timeout);
  if (record_started_ != clock::time_point{}) next = std::min(next, record_started_ + core_.options.record_timeout);
  for (const auto& d : slot_deadlines_) next = std::min(next, d.at);
  if (watching_peer()) next = std::min(next, now + kPeerCheck);
  // Never "now": a deadline that is due is dealt with by this very call.
  return std::max(next, now + std::chrono::milliseconds(1));
}

void Session::arm_timer(clock::time_point at) { shard_.deadlines.schedule(*this, at); }

// Makes on_timer() run by `at` at the latest.
void Session::pull_timer(clock::time_point at) {
  if (!scheduled() || at < deadline()) shard_.deadlines.schedule(*this, at);
}

void Session::on_timer() {
  if (phase_ == Phase::closed) return;
  const auto now = clock::now();
  if (phase_ == Phase::proxy_header) {
    if (now >= handshake_deadline_)
      return proxy_header_failed("not complete within handshake_timeout (" +
                                 std::to_string(core_.options.handshake_timeout.count()) +
                                 " ms): " + std::to_string(proxy_header_->received()) + " of its " +
                                 std::to_string(proxy_header_->expected()) + " bytes received");
  } else if (phase_ == Phase::handshaking) {
    if (now >= handshake_deadline_)
      return handshake_failed("not completed within handshake_timeout (" +
                              std::to_string(core_.options.handshake_timeout.count()) + " ms)");
  } else if (phase_ == Phase::lingering) {
    if (now >= linger_deadline_) return close(finish_reason_);
  } else if (writing() && now - write_started_ >= core_.options.write_timeout) {
    core_.stats.add(Counter::slow_consumers);
    spdlog::warn("slow consumer {}: no progress writing for {} ms at stream byte {} ({} bytes pending); closing",
                 peer(), millis(now - write_started_), total_out_, pending_output());
    return close("slow consumer");
  } else {
    // The same end as a read meeting the FIN or the reset: the handlers
    // are cancelled (disconnected) and nothing more is written.
    if (watching_peer()) {
      if (const char* gone = peer_gone()) {
        peer_eof_ = true;
        return close(gone);
      }
    }
    expire_slots(now);
    if (phase_ == Phase::closed) return;
    if (record_started_ != clock::time_point{} && (!accepting_input() || waiting_for_memory_)) {
      record_started_ = now;  // we hold the input back, not the peer
    } else if (phase_ == Phase::serving && record_started_ != clock::time_point{} &&
               now - record_started_ >= core_.options.record_timeout) {
      shard_.counters.add(Counter::record_timeouts);
      spdlog::warn(
          "record timeout from {}: a record started {} ms ago is still incomplete ({} bytes received); "
          "closing",
          peer(), millis(now - record_started_), in_.buffered());
      end_input(codes::record_timeout, "record_timeout: the record starting at byte " +
                                           std::to_string(in_.stream_offset()) + " did not arrive within " +
                                           std::to_string(core_.options.record_timeout.count()) + " ms (" +
                                           std::to_string(in_.buffered()) + " bytes of it received)");
      pump();
      if (phase_ == Phase::closed) return;
    } else if (idle() && now - last_activity_ >= idle_period()) {
      if (draining_) {
        finish("shutdown");
      } else {
        shard_.counters.add(Counter::idle_timeouts);
        finish("idle timeout");
      }
      publish_stats();
      if (phase_ == Phase::closed) return;
    }
  }
  arm_timer(next_deadline(now));
}

// One connection's failure (an allocation that cannot be made, say) closes
// that connection, not the server: exceptions stop here, at every entry
// point from the event loop.
template <class Step>
void Session::guarded(const char* what, Step&& step) noexcept {
  try {
    step();
  } catch (const std::exception& e) {
    spdlog::error("connection {}: {} failed: {}; closing it", peer(), what, e.what());
    close("internal error");
  } catch (...) {
    spdlog::error("connection {}: {} failed; closing it", peer(), what);
    close("internal error");
  }
}

void Session::on_deadline() {
  guarded("timer", [&] { on_timer(); });
}

// ---- accounting ----

void Session::publish_stats() noexcept {
  core_.stats.publish(shard_.counters);
  latency_mark_ = 0;  // the batch is over: the next record's time starts with a reading of its own
  const std::size_t pending = phase_ == Phase::closed ? 0 : pending_output();
  if (pending != published_pending_) {
    if (pending > published_pending_)
      core_.stats.add(Counter::output_pending_bytes, pending - published_pending_);
    else
      core_.stats.subtract(Counter::output_pending_bytes, published_pending_ - pending);
    published_pending_ = pending;
  }
}

LatencyClock::Ticks Session::latency_start() noexcept {
  if (!shard_.latency) return 0;
  return latency_mark_ != 0 ? latency_mark_ : LatencyClock::now();
}

void Session::observe_latency(std::size_t label, LatencyClock::Ticks started) noexcept {
  if (started == 0) return;
  const LatencyClock::Ticks now = LatencyClock::now();
  shard_.latency->observe(label, now > started ? now - started : 0);
  latency_mark_ = now;
}

void Session::budget_evict() {
  asio::post(socket_.get_executor(), [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->guarded("eviction", [&] { self->evict(); });
  });
}

void Session::budget_available() {
  asio::post(socket_.get_executor(), [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->waiting_for_memory_ = false;
      self->guarded("resume", [&] { self->pump(); });
    }
  });
}

// The input budget is exhausted and this connection holds the largest
// unfinished record: it gives its memory up and is closed, so the others
// keep being served.
void Session::evict() {
  // The request was posted: by now the session may have completed its
  // record and given the memory back, and is no longer the one to close.
  if (phase_ != Phase::serving || !core_.budget.evicting(*this)) return;
  const std::size_t held = in_.buffered();
  shard_.counters.add(Counter::server_busy);
  spdlog::warn(
      "input memory budget ({} bytes, max_buffered_bytes) exhausted; closing {}, which held the most "
      "buffered input ({} bytes)",
      core_.budget.limit(), peer(), held);
  end_input(codes::server_busy,
            "server busy: buffered input over max_buffered_bytes, and this connection held the "
            "most of it (" +
                std::to_string(held) +
                " bytes of requests not yet answered, "
                "dropped)");
  waiting_for_memory_ = false;
  pump();
}

}  // namespace crous::server::detail
