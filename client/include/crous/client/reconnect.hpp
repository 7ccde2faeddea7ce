#pragma once
// Reconnecting after the server closed the connection (docs/client.md,
// "Reconnects"). Off by default: a lost connection then stays lost, as it
// always was. With ReconnectPolicy::enabled, both clients open a new
// connection for the requests that still have to go out, and every request
// gets exactly one outcome:
//   - its response (or ServerError), which arrived on the connection it was
//     written to;
//   - ClientErrc::not_answered: it was written to a connection that ended
//     before its response arrived. The server may or may not have processed
//     it (after a crous-server's graceful drain: it did not, see
//     docs/protocol.md). Never resent, unless the call was idempotent
//     (CallOptions, options.hpp);
//   - or the error that kept it from being sent at all (the reconnect gave
//     up: the last attempt's connect error).
// Requests not yet written when the connection ended ("not sent") go out on
// the new connection: the server never saw a byte of them.
#include <chrono>
#include <cstdint>

namespace crous::client {

// How a client reconnects. A reconnect starts when a request has to go out
// and the connection was lost; it makes up to `max_attempts` connects (each
// within Options::connect_timeout, with the TLS handshake and the
// compression hello), the first at once, then after waits that start at
// `initial_backoff` and double up to `max_backoff`, each jittered down to a
// random point between half and all of it (so clients that lost the same
// server do not come back in step). A reconnect therefore takes at most
// max_attempts x connect_timeout plus the waits; then it gives up and the
// requests waiting for it fail with the last attempt's error. The first
// connect() is never retried: it fails at once, as without the policy.
// (The `{}` initializers keep designated initializers warning-free, as in
// TlsOptions.)
struct ReconnectPolicy {
  bool enabled = false;
  unsigned max_attempts = 6;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{3000};
  // How often one idempotent call may be written again, once per reconnect,
  // before it fails with not_answered like any other call.
  unsigned max_resends = 2;
};

// What the reconnect policy did, since the client was made.
struct ReconnectStats {
  std::uint64_t lost = 0;          // connections that ended under the client (closed or reset by the server, timed out)
  std::uint64_t reconnects = 0;    // new connections opened after a loss
  std::uint64_t resent = 0;        // idempotent calls written again on a new connection
  std::uint64_t not_answered = 0;  // calls failed with ClientErrc::not_answered
};

}  // namespace crous::client
