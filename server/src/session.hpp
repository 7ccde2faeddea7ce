#pragma once
// One client connection: frames FLUX records, dispatches each to its route,
// writes responses in request order. Lives on one shard's thread: no locks;
// at most one read wait and one gather write in flight.
//
// An idle connection holds no read buffer: it waits for readability, then
// reads into its shard's shared buffer and frames the records in place. Only
// the bytes of an unfinished record (or records it may not process yet) are
// copied into its own RecordBuffer, which is given back once they are done.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"
#include "crous/server/request_context.hpp"
#include "input_budget.hpp"
#include "lz4_link.hpp"
#include "output_queue.hpp"
#include "proxy_header.hpp"
#include "server_core.hpp"

namespace crous::server::detail {

class Session final : public std::enable_shared_from_this<Session>,
                      public DeadlineQueue::Timed,
                      private InputBudget::Holder {
 public:
  using tcp = boost::asio::ip::tcp;
  using clock = std::chrono::steady_clock;

  // With a TLS context the connection starts with a TLS handshake.
  Session(tcp::socket socket, Shard& shard, ServerCore& core, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~Session();

  void start();
  // Server shutdown began: answer what arrives, close once the client pauses.
  void drain();
  // The drain deadline passed.
  void force_close();
  // The listener counted this connection against max_connections_per_ip;
  // close() gives it back.
  void counted_per_ip(const boost::asio::ip::address& address) { counted_per_ip_ = address; }
  // The earliest of this session's deadlines has come (from the shard's DeadlineQueue).
  void on_deadline();

 private:
  // proxy_header and handshaking are the preamble: both together are
  // bounded by handshake_timeout from accept.
  enum class Phase : std::uint8_t {
    proxy_header,  // proxy_protocol only: until the PROXY v2 header has been read
    handshaking,   // TLS only: until the handshake completes
    serving,       // reading requests and answering them
    answering,     // input has ended (peer's FIN, protocol error, timeout, eviction): answer what is owed, then finish
    lingering,     // our side is shut; discarding input until the peer closes or the linger deadline passes
    closed,
  };
  // An offloaded or async request with a deadline: the route's timeout or
  // the request's deadline_ms, whichever comes first.
  struct SlotDeadline {
    OutputQueue::Slot slot;
    clock::time_point at;
    const Route* route;
    bool route_timeout;           // the route's timeout (handler_timeout), else deadline_ms (deadline_exceeded)
    Value id;                     // {"id": <the request's>} for the error record, or null
    LatencyClock::Ticks started;  // for the latency histogram; 0 = not measured
    RequestContext* context;      // an async request's, cancelled at the deadline; null when offloaded
  };
  // An async request while its handler runs: what the handler refers to
  // (the request, its context) and where its response goes.
  struct AsyncRequest {
    AsyncRequest(Value req, Value request_id, const Route& r, OutputQueue::Slot s, std::size_t bytes,
                 LatencyClock::Ticks t, RequestContext::executor_type executor, std::size_t io_thread,
                 clock::time_point deadline)
        : request(std::move(req)),
          id(std::move(request_id)),
          context(std::move(executor), io_thread, deadline),
          route(r),
          slot(s),
          request_bytes(bytes),
          started(t) {}
    Value request;  // the handler's: it may move from it
    Value id;       // {"id": <the request's>} for error records, or null
    RequestContext context;
    const Route& route;
    OutputQueue::Slot slot;
    std::size_t request_bytes;
    LatencyClock::Ticks started;
  };

  struct Tls;  // the TLS stream over socket_ (session.cpp)

  bool in_preamble() const noexcept { return phase_ == Phase::proxy_header || phase_ == Phase::handshaking; }
  void open();
  void answer_and_close(std::string_view code, const std::string& message);
  // ---- PROXY protocol header ----
  void start_proxy_header();
  void wait_for_proxy_header();
  void on_proxy_header_readable(const boost::system::error_code& ec);
  void proxy_header_read();
  void proxy_header_failed(const std::string& reason);
  // ---- TLS handshake ----
  void start_handshake();
  void on_first_bytes(const boost::system::error_code& ec);
  void on_handshake(const boost::system::error_code& ec);
  void handshake_failed(const std::string& reason);
  void answer_plain_client();
  // ---- input ----
  void maybe_read();
  void do_read();
  void wait_readable(const char* what, void (Session::*then)(const boost::system::error_code&));
  bool may_grow_input();
  void on_readable(const boost::system::error_code& ec);
  void on_tls_read(const boost::system::error_code& ec, std::size_t n);
  void received(const boost::system::error_code& ec, std::span<const std::uint8_t> bytes);
  void discard_input();
  bool accepting_input() const noexcept;
  // Not being read with async requests in flight: the timer looks for the
  // client's FIN or reset instead of a read (session.cpp).
  bool watching_peer() const noexcept;
  void watch_peer();
  const char* peer_gone();
  void settle_input();
  // ---- the steps after every I/O event ----
  void pump();
  void pump_soon();
  void process_input();
  bool next_block();
  void handle_record(ByteView record);
  void hello(const Value& request);
  bool deadline_refused(const Value& request, const Route& route, LatencyClock::Ticks started,
                        std::optional<clock::time_point>& deadline);
  std::optional<SlotDeadline> slot_deadline(const Route& route, std::optional<clock::time_point> request_deadline,
                                            const Value& request, LatencyClock::Ticks started, OutputQueue::Slot slot,
                                            clock::time_point now) const;
  void offload(const Route& route, Value request, std::size_t request_bytes, LatencyClock::Ticks started,
               std::optional<clock::time_point> deadline);
  void on_offload_done(OutputQueue::Slot slot, Bytes response, std::size_t request_bytes, bool failed, bool skipped,
                       const Route& route, LatencyClock::Ticks started);
  void run_async(const Route& route, Value request, std::size_t request_bytes, LatencyClock::Ticks started,
                 std::optional<clock::time_point> deadline);
  void on_async_done(AsyncRequest& call, std::exception_ptr error, Value response);
  void cancel_async(client::CancelReason reason) noexcept;
  void cancel_context(RequestContext& context, client::CancelReason reason) noexcept;
  void expire_slots(clock::time_point now);
  bool answer_expired(const SlotDeadline& d);
  static Value id_of(const Value& request);
  void settle_expired(OutputQueue::Slot slot);
  void protocol_error(const DecodeError& error);
  void end_input(std::string_view code, const std::string& message);
  void append_error(std::string_view code, std::string_view message, const Value* request);
  // ---- output ----
  bool writing() const noexcept { return lz4_ ? wire_writing_ : out_.writing(); }
  bool output_empty() const noexcept { return out_.empty() && wire_sent_ == wire_.size(); }
  // Responses not yet written: queued, plus compressed bytes not yet sent.
  std::size_t pending_output() const noexcept { return out_.pending_bytes() + (wire_.size() - wire_sent_); }
  void compress_ready_output();
  void flush();
  void on_write(const boost::system::error_code& ec, std::size_t n);
  // ---- closing ----
  void maybe_finish();
  void finish(const char* reason);
  void fail(const boost::system::error_code& ec, const char* what);
  void close(const char* reason);
  // ---- time ----
  bool idle() const noexcept;
  clock::duration idle_period() const noexcept;
  clock::time_point next_deadline(clock::time_point now) const noexcept;
  void arm_timer(clock::time_point at);
  void pull_timer(clock::time_point at);
  void on_timer();
  template <class Step>
  void guarded(const char* what, Step&& step) noexcept;
  // ---- accounting ----
  void publish_stats() noexcept;
  // Request latency (metrics on): when a record's time starts, and its
  // observation once its response is encoded. Records of one batch are
  // timed back to back, one clock reading each: a record's time starts
  // where the previous one's ended.
  LatencyClock::Ticks latency_start() noexcept;
  void observe_latency(std::size_t label, LatencyClock::Ticks started) noexcept;
  std::size_t unregistered_label() const noexcept { return core_.router.size(); }
  // InputBudget::Holder (called under the budget's lock, from any thread)
  void budget_evict() override;
  void budget_available() override;
  void evict();
  std::string peer() const;

  tcp::socket socket_;
  std::unique_ptr<Tls> tls_;  // null on the plain port
  Shard& shard_;
  ServerCore& core_;
  boost::asio::ip::address peer_address_;  // for logs; with proxy_protocol, the client the header names
  std::uint16_t peer_port_ = 0;
  std::unique_ptr<ProxyHeader> proxy_header_;               // while it is being read
  std::string proxied_;                                     // for the connection's log lines: through which proxy
  std::optional<boost::asio::ip::address> counted_per_ip_;  // exactly what the listener counted

  Phase phase_ = Phase::serving;
  bool reading_ = false;             // a readability wait is in flight
  bool peer_eof_ = false;            // the peer shut down its side
  bool draining_ = false;            // server shutdown: short idle period
  bool waiting_for_memory_ = false;  // the input budget said no; budget_available() resumes
  bool pump_posted_ = false;         // pump_soon() is pending
  const char* finish_reason_ = "";

  RecordBuffer in_;
  std::size_t budget_held_ = 0;         // what in_ holds, as last told to the budget
  clock::time_point record_started_{};  // first byte of the unfinished record; {} between records

  OutputQueue out_;
  std::vector<boost::asio::const_buffer> write_bufs_;

  // After a hello chose LZ4: both directions go through it, the hello's own
  // response (plain_output_left_ bytes) excepted. Responses are compressed
  // into wire_ one batch at a time.
  std::unique_ptr<Lz4Link> lz4_;
  std::size_t plain_output_left_ = 0;
  Bytes wire_;
  std::size_t wire_sent_ = 0;
  bool wire_writing_ = false;
  std::size_t published_pending_ = 0;  // out_.pending_bytes() as last added to the stats gauge
  // Offloaded and async requests not yet answered (max_offloads_per_connection
  // bounds them), and the request bytes they hold.
  std::size_t in_flight_ = 0;
  std::size_t in_flight_bytes_ = 0;
  std::vector<SlotDeadline> slot_deadlines_;
  std::vector<std::shared_ptr<AsyncRequest>> async_requests_;  // running handlers, cancelled when the connection ends

  clock::time_point last_activity_;
  clock::time_point write_started_;
  clock::time_point linger_deadline_;
  clock::time_point handshake_deadline_;  // end of the preamble (PROXY header, TLS handshake)
  LatencyClock::Ticks latency_mark_ = 0;  // end of the batch's last timed record; 0 between batches
  std::uint64_t total_records_ = 0;
  std::uint64_t total_in_ = 0;
  std::uint64_t total_out_ = 0;
};

}  // namespace crous::server::detail
