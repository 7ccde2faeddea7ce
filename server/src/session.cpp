#include "session.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "crous/error.hpp"
#include "crous/server/error_record.hpp"

namespace crous::server::detail {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr std::size_t kReadChunk = 64 * 1024;
// Above this an emptied read buffer is given back, so one large record does
// not pin megabytes on a connection that then stays open for hours.
constexpr std::size_t kKeepBuffer = 256 * 1024;
// After our last response, how long we keep swallowing a peer's input so the
// close is a FIN (not a RST that could destroy the response in flight).
// Shorter while draining: the process is waiting to exit.
constexpr auto kLinger = 2s;
constexpr auto kDrainLinger = 500ms;
// While draining, a connection that has sent nothing for this long is done.
constexpr auto kDrainQuiet = 200ms;

constexpr std::uint8_t kFluxHeader[6] = {'F', 'L', 'U', 'X', 1, 0};

// Up to 8 bytes from `at`, hex, with printable characters masked so request
// text (names, tokens) never lands in logs: "05 ff ff ** **".
std::string masked_sample(const std::uint8_t* begin, const std::uint8_t* end) {
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8 && begin != end; ++i, ++begin) {
    if (!out.empty()) out += ' ';
    std::uint8_t b = *begin;
    if (b >= 0x20 && b < 0x7f) {
      out += "**";
    } else {
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

Session::Session(tcp::socket socket, Shard& shard, ServerCore& core)
    : socket_(std::move(socket)),
      timer_(shard.ctx),
      shard_(shard),
      core_(core),
      scanner_(core.limits) {}

void Session::start() {
  shard_.sessions.emplace(this, shared_from_this());
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? std::string("unknown peer") : ep.address().to_string() + ":" + std::to_string(ep.port());
  draining_ = core_.draining.load();
  last_activity_ = clock::now();
  in_.resize(kReadChunk);
  spdlog::debug("connection open: {}", peer_);
  arm_timer(next_deadline(last_activity_));
  do_read();
}

void Session::drain() {
  if (closed_ || draining_) return;
  draining_ = true;
  // The timer re-evaluates with the short quiet period.
  timer_expiry_ = clock::now();
  timer_.cancel();
}

void Session::force_close() {
  if (closed_) return;
  if (writing_chunks_ == 0 && !lingering_) {
    // Best effort, never blocking: the socket may be full.
    Bytes bytes;
    encode_flux(error_record(codes::shutting_down, "server shutting down: drain deadline passed"), bytes);
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    socket_.write_some(asio::buffer(bytes), ec);
  }
  close("drain deadline passed");
}

// ---- read path ----

void Session::maybe_read() {
  if (closed_ || reading_ || read_eof_ || stop_reading_ || lingering_) return;
  // Backpressure: a client that does not take its responses stops being
  // read from; the write timeout decides when it counts as gone.
  if (out_bytes_ + offload_bytes_ >= core_.options.high_watermark) return;
  do_read();
}

void Session::prepare_buffer() {
  if (rec_begin_ == end_) {
    rec_begin_ = scan_pos_ = end_ = 0;
    if (in_.size() > kKeepBuffer) {
      in_ = std::vector<std::uint8_t>(kReadChunk);
      in_.shrink_to_fit();
    }
  } else if (rec_begin_ != 0 && in_.size() - end_ < kReadChunk) {
    std::memmove(in_.data(), in_.data() + rec_begin_, end_ - rec_begin_);
    scan_pos_ -= rec_begin_;
    end_ -= rec_begin_;
    rec_begin_ = 0;
  }
  // The scanner refuses records beyond max_record_bytes, so the buffer never
  // holds more than one such record plus one read.
  if (in_.size() - end_ < kReadChunk) in_.resize(std::max(in_.size() * 2, end_ + kReadChunk));
}

void Session::do_read() {
  prepare_buffer();
  reading_ = true;
  socket_.async_read_some(asio::buffer(in_.data() + end_, in_.size() - end_),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void Session::on_read(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    if (ec) close(finish_reason_);
    else {
      rec_begin_ = scan_pos_ = end_ = 0;
      do_read();
    }
    return;
  }
  if (ec == asio::error::eof) {
    read_eof_ = true;
    if (end_ != rec_begin_)
      protocol_error(ErrorCode::truncated, end_ - rec_begin_,
                     "connection closed inside a record (" + std::to_string(end_ - rec_begin_) + " bytes of it received)");
    flush();
    maybe_finish();
    return;
  }
  if (ec) return fail(ec, "read");

  end_ += n;
  counters_.add(Counter::bytes_in, n);
  total_in_ += n;
  last_activity_ = clock::now();
  process();
  publish_stats();
  flush();
  maybe_read();
  maybe_finish();
}

// Answers every complete record in the buffer (the batch), like Redis'
// processInputBuffer; the responses then leave in one write.
void Session::process() {
  while (!stop_reading_ && scan_pos_ < end_) {
    auto result = scanner_.feed({in_.data() + scan_pos_, end_ - scan_pos_});
    scan_pos_ += result.consumed;
    if (result.status == RecordScanner::Status::need_more) break;
    if (result.status == RecordScanner::Status::error) {
      protocol_error(scanner_.error_code(), scanner_.error_offset(), scanner_.error_message());
      break;
    }
    std::size_t size = scanner_.record_size();
    handle_record({in_.data() + rec_begin_, size});
    if (stop_reading_) break;
    rec_begin_ += size;
    stream_offset_ += size;
  }
}

void Session::handle_record(ByteView record) {
  counters_.add(Counter::records_in);
  ++total_records_;
  Value request;
  try {
    request = decode_flux(record, core_.limits);
  } catch (const DecodeError& e) {
    protocol_error(e.code(), e.offset(), e.message());
    return;
  }

  const Route* route = nullptr;
  const Value* op = request.is_dict() ? request.find(core_.options.route_key) : nullptr;
  if (op && op->is_string()) {
    route = core_.router.find(op->as_string());
    if (!route) {
      counters_.add(Counter::unknown_ops);
      append_error(codes::unknown_op, "unknown op '" + op->as_string() + "'", &request);
      return;
    }
  } else {
    route = core_.router.find(core_.options.default_route);
    if (!route) {  // only if the router was changed behind the server's back
      counters_.add(Counter::unknown_ops);
      append_error(codes::unknown_op, "no default route '" + core_.options.default_route + "'", &request);
      return;
    }
  }

  switch (route->execution) {
    case Execution::echo:
      // The request was just validated; when it is already canonical FLUX
      // its own bytes are the response, with no re-encoding.
      if (record.size() >= sizeof kFluxHeader && std::memcmp(record.data(), kFluxHeader, sizeof kFluxHeader) == 0)
        emit([&](Bytes& out) { out.insert(out.end(), record.begin(), record.end()); });
      else
        emit([&](Bytes& out) { encode_flux(request, out); });
      return;
    case Execution::inline_io:
      try {
        Value response = route->handler(request);
        emit([&](Bytes& out) { encode_flux(response, out); });
      } catch (const HandlerError& e) {
        counters_.add(Counter::handler_errors);
        append_error(e.code(), e.what(), &request);
      } catch (const std::exception& e) {
        counters_.add(Counter::handler_errors);
        append_error(codes::handler_error, e.what(), &request);
      } catch (...) {
        counters_.add(Counter::handler_errors);
        append_error(codes::handler_error, "handler threw a non-standard exception", &request);
      }
      return;
    case Execution::offloaded:
      offload(*route, std::move(request), record.size());
      return;
  }
}

void Session::offload(const Route& route, Value request, std::size_t request_bytes) {
  std::uint64_t seq = out_base_seq_ + out_.size();
  out_.push_back(OutChunk{{}, false});
  ++pending_offloads_;
  offload_bytes_ += request_bytes;
  core_.workers.submit([self = shared_from_this(), &route, request = std::move(request), seq, request_bytes]() mutable {
    Bytes response;
    auto fail_with = [&](std::string_view code, std::string_view message) {
      response.clear();
      encode_flux(error_record(code, message, &request), response);
    };
    bool failed = true;
    try {
      encode_flux(route.handler(request), response);
      failed = false;
    } catch (const HandlerError& e) {
      fail_with(e.code(), e.what());
    } catch (const std::exception& e) {
      fail_with(codes::handler_error, e.what());
    } catch (...) {
      fail_with(codes::handler_error, "handler threw a non-standard exception");
    }
    // Read the executor before `self` is moved into the completion.
    auto executor = self->socket_.get_executor();
    asio::post(executor, [self = std::move(self), seq, response = std::move(response), request_bytes, failed]() mutable {
      self->on_offload_done(seq, std::move(response), request_bytes, failed);
    });
  });
}

void Session::on_offload_done(std::uint64_t seq, Bytes response, std::size_t request_bytes, bool failed) {
  --pending_offloads_;
  offload_bytes_ -= request_bytes;
  if (closed_) return;
  if (failed) counters_.add(Counter::handler_errors);
  OutChunk& slot = out_[static_cast<std::size_t>(seq - out_base_seq_)];
  out_bytes_ += response.size();
  slot.bytes = std::move(response);
  slot.ready = true;
  counters_.add(Counter::records_out);
  publish_stats();
  flush();
  maybe_read();
  maybe_finish();
}

// Decode errors and oversize records: the stream can no longer be framed, so
// after this error record nothing more is read; the connection closes once
// every earlier response and this one are out.
void Session::protocol_error(ErrorCode code, std::size_t offset_in_record, const std::string& message) {
  bool too_large = code == ErrorCode::limit_exceeded;
  std::uint64_t offset = stream_offset_ + offset_in_record;
  core_.stats.add(too_large ? Counter::records_too_large : Counter::decode_errors);
  std::size_t at = std::min(rec_begin_ + offset_in_record, end_);
  spdlog::warn("protocol error from {}: {} at stream byte {}: {} [bytes at error: {}]; closing", peer_,
               to_string(code), offset, message, masked_sample(in_.data() + at, in_.data() + end_));
  std::string text = std::string(to_string(code)) + " at byte " + std::to_string(offset) + ": " + message;
  append_error(too_large ? codes::record_too_large : codes::decode_error, text, nullptr);
  stop_reading_ = true;
}

void Session::append_error(std::string_view code, std::string_view message, const Value* request) {
  Value record = error_record(code, message, request);
  emit([&](Bytes& out) { encode_flux(record, out); });
}

// ---- write path ----

template <class Encode>
void Session::emit(Encode&& encode) {
  Bytes& out = tail();
  std::size_t before = out.size();
  try {
    encode(out);
  } catch (...) {
    out.resize(before);  // never leave half a record in the stream
    throw;
  }
  out_bytes_ += out.size() - before;
  counters_.add(Counter::records_out);
}

Bytes& Session::tail() {
  // Appending to a chunk of the write in flight would move its bytes under
  // the kernel; a not-ready chunk is an offload slot.
  if (out_.size() <= writing_chunks_ || !out_.back().ready) out_.push_back(OutChunk{take_spare(), true});
  return out_.back().bytes;
}

Bytes Session::take_spare() {
  if (spare_.empty()) return {};
  Bytes b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void Session::flush() {
  if (closed_ || lingering_ || writing_chunks_ != 0) return;
  // Asio passes at most 64 buffers to one writev; more chunks go next time.
  constexpr std::size_t kMaxGather = 64;
  write_bufs_.clear();
  std::size_t chunks = 0;
  for (; chunks < out_.size() && out_[chunks].ready && write_bufs_.size() < kMaxGather; ++chunks) {
    const Bytes& b = out_[chunks].bytes;
    std::size_t skip = chunks == 0 ? front_written_ : 0;
    if (b.size() > skip) write_bufs_.emplace_back(b.data() + skip, b.size() - skip);
  }
  if (write_bufs_.empty()) {
    release_written();  // only empty chunks were ready
    return;
  }
  writing_chunks_ = chunks;
  write_started_ = clock::now();
  auto deadline = write_started_ + core_.options.write_timeout;
  if (deadline < timer_expiry_) {
    timer_expiry_ = deadline;
    timer_.cancel();
  }
  // write_some, not async_write: every partial write is progress, so a
  // client that reads slowly but steadily is never taken for a slow consumer.
  socket_.async_write_some(write_bufs_,
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                             self->on_write(ec, n);
                           });
}

void Session::on_write(const boost::system::error_code& ec, std::size_t n) {
  writing_chunks_ = 0;
  if (closed_) return;
  if (ec) return fail(ec, "write");
  counters_.add(Counter::bytes_out, n);
  total_out_ += n;
  out_bytes_ -= n;
  front_written_ += n;
  last_activity_ = clock::now();
  release_written();
  publish_stats();
  flush();
  maybe_read();
  maybe_finish();
}

// Pops the fully written chunks at the front, keeping a couple of buffers
// for the next batches (big ones go back to the allocator).
void Session::release_written() {
  while (!out_.empty() && out_.front().ready && front_written_ >= out_.front().bytes.size()) {
    Bytes& b = out_.front().bytes;
    front_written_ -= b.size();
    if (spare_.size() < 2 && b.capacity() <= kKeepBuffer) {
      b.clear();
      spare_.push_back(std::move(b));
    }
    out_.pop_front();
    ++out_base_seq_;
  }
}

// ---- closing ----

void Session::maybe_finish() {
  if (closed_ || lingering_ || (!stop_reading_ && !read_eof_)) return;
  if (!out_.empty() || pending_offloads_ != 0) return;
  finish(stop_reading_ ? "protocol error" : "peer closed");
}

void Session::finish(const char* reason) {
  if (closed_ || lingering_) return;
  finish_reason_ = reason;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  if (read_eof_) return close(reason);
  lingering_ = true;
  linger_deadline_ = clock::now() + (draining_ ? kDrainLinger : kLinger);
  if (linger_deadline_ < timer_expiry_) {
    timer_expiry_ = linger_deadline_;
    timer_.cancel();
  }
  if (!reading_) do_read();
}

void Session::fail(const boost::system::error_code& ec, const char* what) {
  if (ec == asio::error::operation_aborted && closed_) return;
  spdlog::debug("connection {} {} error: {}", peer_, what, ec.message());
  close(what);
}

void Session::close(const char* reason) {
  if (closed_) return;
  closed_ = true;
  publish_stats();
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  core_.stats.subtract(Counter::connections_open);
  spdlog::debug("connection closed: {} ({}): {} records, {} bytes in, {} bytes out", peer_, reason, total_records_,
                total_in_, total_out_);
  auto self = shared_from_this();  // the shard's reference goes next
  shard_.sessions.erase(this);
  core_.on_session_closed();
}

// ---- timeouts ----

bool Session::idle() const noexcept {
  return writing_chunks_ == 0 && pending_offloads_ == 0 && out_.empty() && (!draining_ || rec_begin_ == end_);
}

Session::clock::duration Session::idle_period() const noexcept {
  clock::duration idle = core_.options.idle_timeout;
  return draining_ ? std::min<clock::duration>(idle, kDrainQuiet) : idle;
}

// One timer per session watches every deadline. Deadlines move by plain
// assignment on each read and write; the timer is only re-armed when it
// fires or when a deadline moves earlier than its expiry.
Session::clock::time_point Session::next_deadline(clock::time_point now) const noexcept {
  if (lingering_) return linger_deadline_;
  auto next = last_activity_ + idle_period();
  if (next <= now) next = now + idle_period();  // idle is due but work is pending: look again later
  if (writing_chunks_ != 0) next = std::min(next, write_started_ + core_.options.write_timeout);
  return next;
}

void Session::arm_timer(clock::time_point at) {
  timer_expiry_ = at;
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->on_timer(); });
}

void Session::on_timer() {
  if (closed_) return;
  auto now = clock::now();
  if (lingering_) {
    if (now >= linger_deadline_) return close(finish_reason_);
  } else if (writing_chunks_ != 0 && now - write_started_ >= core_.options.write_timeout) {
    core_.stats.add(Counter::slow_consumers);
    spdlog::warn("slow consumer {}: no progress writing for {} ms at stream byte {} ({} bytes pending); closing",
                 peer_, std::chrono::duration_cast<std::chrono::milliseconds>(now - write_started_).count(),
                 total_out_, out_bytes_);
    return close("slow consumer");
  } else if (idle() && now - last_activity_ >= idle_period()) {
    if (draining_) {
      finish("shutdown");
    } else {
      core_.stats.add(Counter::idle_timeouts);
      finish("idle timeout");
    }
    if (closed_) return;
  }
  arm_timer(next_deadline(now));
}

void Session::publish_stats() noexcept { core_.stats.publish(counters_); }

}  // namespace crous::server::detail
