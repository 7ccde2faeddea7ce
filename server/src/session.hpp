#pragma once
// One client connection: reads FLUX records, routes each, writes responses in
// request order. Lives on one shard's thread; exactly one read and at most one
// write in flight.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"
#include "server_core.hpp"

namespace crous::server::detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  using tcp = boost::asio::ip::tcp;
  using clock = std::chrono::steady_clock;

  Session(tcp::socket socket, Shard& shard, ServerCore& core);

  void start();
  // Server shutdown began: answer what arrives, close once the client pauses.
  void drain();
  // The drain deadline passed.
  void force_close();

 private:
  // Responses waiting to be written, in request order. A chunk that is not
  // ready is the slot of an offloaded request still running; everything
  // behind it waits, which is what keeps responses in order.
  struct OutChunk {
    Bytes bytes;
    bool ready = true;
  };

  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void maybe_read();
  void prepare_buffer();
  void process();
  void handle_record(ByteView record);
  void offload(const Route& route, Value request, std::size_t request_bytes);
  void on_offload_done(std::uint64_t seq, Bytes response, std::size_t request_bytes, bool failed);
  void protocol_error(ErrorCode code, std::size_t offset_in_record, const std::string& message);
  void append_error(std::string_view code, std::string_view message, const Value* request);
  template <class Encode>
  void emit(Encode&& encode);
  Bytes& tail();
  Bytes take_spare();
  void flush();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  void release_written();
  void maybe_finish();
  void finish(const char* reason);
  bool idle() const noexcept;
  clock::duration idle_period() const noexcept;
  clock::time_point next_deadline(clock::time_point now) const noexcept;
  void arm_timer(clock::time_point at);
  void on_timer();
  void fail(const boost::system::error_code& ec, const char* what);
  void close(const char* reason);
  void publish_stats() noexcept;

  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  Shard& shard_;
  ServerCore& core_;
  std::string peer_;
  RecordScanner scanner_;

  // in_[rec_begin_, end_) is the unanswered part of what was read; the
  // scanner has seen in_[rec_begin_, scan_pos_).
  std::vector<std::uint8_t> in_;
  std::size_t rec_begin_ = 0;
  std::size_t scan_pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t stream_offset_ = 0;  // stream offset of in_[rec_begin_]

  std::deque<OutChunk> out_;
  std::uint64_t out_base_seq_ = 0;  // sequence number of out_.front()
  std::size_t out_bytes_ = 0;       // bytes in out_, including the write in flight
  std::size_t writing_chunks_ = 0;  // front chunks the write in flight reads from
  std::size_t front_written_ = 0;   // bytes of out_.front() already written
  std::vector<boost::asio::const_buffer> write_bufs_;
  std::vector<Bytes> spare_;

  std::size_t pending_offloads_ = 0;
  std::size_t offload_bytes_ = 0;  // request bytes held by running offloads

  bool reading_ = false;
  bool read_eof_ = false;
  bool stop_reading_ = false;  // protocol error: answer, flush, close
  bool draining_ = false;
  bool lingering_ = false;  // output shut down; discarding input until the peer closes
  bool closed_ = false;
  const char* finish_reason_ = "";

  clock::time_point last_activity_;
  clock::time_point write_started_;
  clock::time_point linger_deadline_;
  clock::time_point timer_expiry_;

  LocalCounters counters_;  // not yet published to core_.stats
  std::uint64_t total_records_ = 0;
  std::uint64_t total_in_ = 0;
  std::uint64_t total_out_ = 0;
};

}  // namespace crous::server::detail
