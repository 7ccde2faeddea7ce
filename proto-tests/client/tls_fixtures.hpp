#pragma once
// What the client tests against the real server over TLS share: a CA with a
// server certificate and two clients, the in-process server with TLS next to
// plain TCP, and client TLS options that trust that CA.
#include <string>
#include <string_view>
#include <vector>

#include "crous/client/options.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"

namespace crous::test {

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

struct TlsPki {
  TestPki ca;
  TestPki::Issued server = ca.issue_server();
  TestPki::Issued alice = ca.issue_client("alice");
  TestPki::Issued bob = ca.issue_client("bob");
};

// The real server with TLS next to plain TCP; mutual TLS for `allowed`
// clients when given.
inline TestServer tls_server(const TlsPki& pki, std::vector<std::string> allowed = {}) {
  return TestServer([&](server::Options& o) {
    o.tls_port = 0;
    o.tls_cert_file = pki.server.cert.string();
    o.tls_key_file = pki.server.key.string();
    if (!allowed.empty()) {
      o.tls_ca_file = pki.ca.ca_cert().string();
      o.tls_allowed_clients = allowed;
    }
  });
}

// TLS on, trusting the PKI's CA, presenting `as`'s certificate when given.
inline client::TlsOptions trusting(const TlsPki& pki, const TestPki::Issued* as = nullptr) {
  client::TlsOptions tls{.enabled = true, .ca_file = pki.ca.ca_cert().string()};
  if (as != nullptr) {
    tls.cert_file = as->cert.string();
    tls.key_file = as->key.string();
  }
  return tls;
}

}  // namespace crous::test
