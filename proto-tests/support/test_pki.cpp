#include "test_pki.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>

namespace crous::test {

namespace fs = std::filesystem;

namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
struct FreeBio {
  void operator()(BIO* bio) const noexcept { BIO_free_all(bio); }
};
struct FreeNames {
  void operator()(GENERAL_NAMES* names) const noexcept { GENERAL_NAMES_free(names); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Cert = std::unique_ptr<X509, FreeCert>;

[[noreturn]] void openssl_failure(const std::string& what) {
  std::string text = "TestPki: " + what;
  if (const unsigned long code = ERR_get_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    text += ": ";
    text += reason;
  }
  ERR_clear_error();
  throw std::runtime_error(text);
}

void check(int ok, const std::string& what) {
  if (ok != 1) openssl_failure(what);
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) openssl_failure("EVP_EC_gen(P-256)");
  return key;
}

bool parses_as_ip(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// One extension from OpenSSL's config syntax ("critical,CA:TRUE").
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (extension == nullptr) openssl_failure(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  const int ok = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  check(ok, "X509_add_ext");
}

// subjectAltName built from GENERAL_NAMEs rather than config text, so names
// with commas or colons (URIs) need no escaping. Entries are "DNS:x",
// "IP:x", "email:x" or "URI:x".
void add_subject_alt_names(X509* cert, const std::vector<std::string>& entries) {
  std::unique_ptr<GENERAL_NAMES, FreeNames> names(sk_GENERAL_NAME_new_null());
  for (const std::string& entry : entries) {
    const auto colon = entry.find(':');
    const std::string kind = entry.substr(0, colon);
    const std::string value = entry.substr(colon + 1);
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (kind == "IP") {
      ASN1_OCTET_STRING* address = a2i_IPADDRESS(value.c_str());
      if (address == nullptr) openssl_failure("not an IP address: " + value);
      GENERAL_NAME_set0_value(name, GEN_IPADD, address);
    } else {
      const int type = kind == "DNS" ? GEN_DNS : kind == "email" ? GEN_EMAIL : GEN_URI;
      ASN1_IA5STRING* text = ASN1_IA5STRING_new();
      ASN1_STRING_set(text, value.data(), static_cast<int>(value.size()));
      GENERAL_NAME_set0_value(name, type, text);
    }
    sk_GENERAL_NAME_push(names.get(), name);
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT), "subjectAltName");
}

std::uint64_t random_serial() {
  std::random_device random;
  const std::uint64_t serial = (std::uint64_t{random()} << 32) | random();
  return (serial >> 1) | 1;  // positive and never zero
}

Cert new_cert(EVP_PKEY* key, const std::string& cn, std::chrono::seconds start_offset, std::chrono::seconds valid_for) {
  Cert cert(X509_new());
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), random_serial()), "serial number");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(start_offset.count()));
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>((start_offset + valid_for).count()));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("crous tests"), -1, -1, 0),
        "subject O");
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "subject CN=" + cn);
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
  return cert;
}

std::unique_ptr<BIO, FreeBio> open_for_writing(const fs::path& path, bool secret) {
  // A key file is created 0600 before anything is written to it.
  if (secret) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "TestPki: cannot create " + path.string());
    ::close(fd);
  }
  std::unique_ptr<BIO, FreeBio> bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) openssl_failure("cannot write " + path.string());
  return bio;
}

void write_key(const fs::path& path, EVP_PKEY* key) {
  auto bio = open_for_writing(path, true);
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "writing " + path.string());
}

void write_cert(const fs::path& path, X509* cert) {
  auto bio = open_for_writing(path, false);
  check(PEM_write_bio_X509(bio.get(), cert), "writing " + path.string());
}

fs::path fresh_dir() {
  static std::atomic<unsigned> counter{0};
  std::random_device random;
  const fs::path dir = fs::temp_directory_path() / ("crous-pki-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(counter++) + "-" + std::to_string(random()));
  fs::create_directory(dir);  // throws if it exists: never reuse someone else's files
  fs::permissions(dir, fs::perms::owner_all);
  return dir;
}

}  // namespace

struct TestPki::Ca {
  Key key;
  Cert cert;
};

TestPki::TestPki(std::string ca_name) : dir_(fresh_dir()), ca_(std::make_unique<Ca>()) {
  try {
    ca_->key = new_key();
    // Backdated an hour so a slightly skewed clock never makes it "not yet valid".
    ca_->cert = new_cert(ca_->key.get(), ca_name, -std::chrono::hours(1), std::chrono::hours(48));
    X509* cert = ca_->cert.get();
    check(X509_set_issuer_name(cert, X509_get_subject_name(cert)), "CA issuer");
    add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert, cert, NID_subject_key_identifier, "hash");
    if (X509_sign(cert, ca_->key.get(), EVP_sha256()) == 0) openssl_failure("signing the CA certificate");
    ca_cert_ = dir_ / "ca.crt";
    write_cert(ca_cert_, cert);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

TestPki::~TestPki() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

fs::path TestPki::next_path(const std::string& stem, const char* extension) {
  std::string name;
  for (char ch : stem) name += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.') ? ch : '_';
  return dir_ / (std::to_string(files_++) + "-" + name + extension);
}

TestPki::Issued TestPki::issue(Use use, const std::string& cn, const std::vector<std::string>& san, Validity validity) {
  Key key = new_key();
  Cert cert = new_cert(key.get(), cn, validity.start_offset, validity.valid_for);
  X509* leaf = cert.get();
  check(X509_set_issuer_name(leaf, X509_get_subject_name(ca_->cert.get())), "issuer name");
  add_extension(leaf, ca_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  // ECDSA keys sign; they never encipher keys.
  add_extension(leaf, ca_->cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(leaf, ca_->cert.get(), NID_ext_key_usage, use == Use::server ? "serverAuth" : "clientAuth");
  add_extension(leaf, ca_->cert.get(), NID_subject_key_identifier, "hash");
  add_extension(leaf, ca_->cert.get(), NID_authority_key_identifier, "keyid:always");
  add_subject_alt_names(leaf, san);
  if (X509_sign(leaf, ca_->key.get(), EVP_sha256()) == 0) openssl_failure("signing the certificate for " + cn);
  const std::string stem = (use == Use::server ? "server-" : "client-") + cn;
  Issued issued{next_path(stem, ".crt"), next_path(stem, ".key")};
  write_cert(issued.cert, leaf);
  write_key(issued.key, key.get());
  return issued;
}

TestPki::Issued TestPki::issue_server(const std::string& cn, const std::vector<std::string>& extra_dns, Validity validity) {
  std::vector<std::string> san{"DNS:localhost", "IP:127.0.0.1", "IP:::1"};
  for (const auto& name : extra_dns) san.push_back((parses_as_ip(name) ? "IP:" : "DNS:") + name);
  return issue(Use::server, cn, san, validity);
}

TestPki::Issued TestPki::issue_client(const std::string& cn, std::chrono::seconds valid_for, std::chrono::seconds start_offset) {
  const char* kind = cn.find("://") != std::string::npos ? "URI:" : cn.find('@') != std::string::npos ? "email:" : "DNS:";
  return issue(Use::client, cn, {kind + cn}, Validity{valid_for, start_offset});
}

fs::path TestPki::unrelated_key() {
  Key key = new_key();
  const fs::path path = next_path("unrelated", ".key");
  write_key(path, key.get());
  return path;
}

fs::path TestPki::write_file(const std::string& name, const std::string& text) const {
  const fs::path path = dir_ / name;
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("TestPki: cannot write " + path.string());
  return path;
}

}  // namespace crous::test
