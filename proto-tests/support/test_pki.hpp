#pragma once
// A throwaway PKI for TLS tests: a CA, and server and client certificates
// it signs, generated with OpenSSL at test time (P-256 keys, SHA-256
// signatures) into a fresh temporary directory that the destructor removes.
// No private key is ever checked in.
//
//   crous::test::TestPki pki;                        // its own CA
//   auto server = pki.issue_server();                // localhost + 127.0.0.1
//   auto alice = pki.issue_client("alice");          // CN=alice, clientAuth
//   crous::test::TestPki other("another CA");        // certificates nobody trusts
//
// Every file is PEM: cert holds the leaf only (the CA signs leaves
// directly), key is an unencrypted PKCS#8 key with mode 0600.
// Methods throw std::runtime_error with OpenSSL's reason on failure.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace crous::test {

class TestPki {
 public:
  explicit TestPki(std::string ca_name = "crous test CA");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  struct Issued {
    std::filesystem::path cert;
    std::filesystem::path key;
  };

  // Validity window: from now + start_offset for valid_for. A negative
  // offset larger than valid_for gives an already expired certificate, a
  // positive one a not-yet-valid certificate.
  struct Validity {
    std::chrono::seconds valid_for = std::chrono::hours(1);
    std::chrono::seconds start_offset{0};
  };

  // A server certificate: subject CN=cn, SAN DNS:localhost, IP:127.0.0.1,
  // IP:::1 and DNS:<each of extra_dns> (an entry that parses as an IP
  // address becomes an IP SAN), extendedKeyUsage serverAuth.
  Issued issue_server(const std::string& cn, const std::vector<std::string>& extra_dns, Validity validity);
  Issued issue_server(const std::string& cn = "localhost", const std::vector<std::string>& extra_dns = {}) {
    return issue_server(cn, extra_dns, Validity());
  }

  // A client certificate: subject CN=cn and one SAN naming cn: email:cn if
  // it contains '@', URI:cn if it contains "://", else DNS:cn;
  // extendedKeyUsage clientAuth.
  Issued issue_client(const std::string& cn, std::chrono::seconds valid_for = std::chrono::hours(1),
                      std::chrono::seconds start_offset = std::chrono::seconds(0));

  // A fresh private key that belongs to no certificate ("key does not match").
  std::filesystem::path unrelated_key();

  // Writes `text` to dir()/name (a deliberately broken PEM file, say).
  std::filesystem::path write_file(const std::string& name, const std::string& text) const;

  // The CA certificate (PEM): what a peer trusts to accept this PKI's leaves.
  const std::filesystem::path& ca_cert() const noexcept { return ca_cert_; }
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  struct Ca;  // OpenSSL objects, kept out of this header
  enum class Use { server, client };
  Issued issue(Use use, const std::string& cn, const std::vector<std::string>& san, Validity validity);
  std::filesystem::path next_path(const std::string& stem, const char* extension);

  std::filesystem::path dir_;
  std::filesystem::path ca_cert_;
  std::unique_ptr<Ca> ca_;
  unsigned files_ = 0;
};

}  // namespace crous::test
