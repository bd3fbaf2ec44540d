#pragma once
// The SSRF guard: which IP addresses a request built from hostile input (an image URL in a
// feed) may connect to, checked on the address each connection is really opened to — after
// DNS, on every hop of a redirect chain — through CURLOPT_OPENSOCKETFUNCTION. A check of the
// host name alone would let a name that resolves to 127.0.0.1, or a redirect, through.
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::lib {

enum class AddressKind {
  kPublic,
  kUnspecified,  // 0.0.0.0/8, ::
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // RFC 1918, fc00::/7, fec0::/10
  kSharedNat,    // 100.64.0.0/10 (carrier-grade NAT, RFC 6598)
  kLinkLocal,    // 169.254.0.0/16, fe80::/10
  kMulticast,    // 224.0.0.0/4, ff00::/8
  kReserved,     // 240.0.0.0/4 (and the broadcast address), any family but IPv4 and IPv6
};

// Stable lower-case name for messages: "public", "loopback", "private", "shared NAT",
// "link-local", "multicast", "unspecified", "reserved".
const char* address_kind_name(AddressKind kind);

// The kind of an AF_INET or AF_INET6 socket address. IPv6 forms that carry an IPv4 address
// (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16)
// are classified by that IPv4 address. Never throws.
AddressKind classify_address(const sockaddr* address);
// The same for a numeric address in text ("10.1.2.3", "::ffff:127.0.0.1"); nullopt when the
// text is not one. For tests and for messages.
std::optional<AddressKind> classify_address(std::string_view numeric);

// "127.0.0.1:8080" or "[::1]:8080" for an AF_INET/AF_INET6 address; "" otherwise.
std::string endpoint_text(const sockaddr* address);

// One guard per easy handle (CurlEasy::guard_addresses). Refuses every connection to an
// address that is not kPublic, except the endpoints in `exempt` (text as endpoint_text gives
// it: a test's own loopback server). Not thread-safe: it is used by the thread that drives the
// handle, like the handle itself; it must outlive every transfer of that handle.
class AddressGuard {
 public:
  explicit AddressGuard(std::vector<std::string> exempt = {}) : exempt_(std::move(exempt)) {}

  // True when a connection to `address` may be opened; otherwise remembers why not.
  bool allow(const sockaddr* address);
  // "address 127.0.0.1 is loopback" for the last refused connection; "" if none was refused.
  const std::string& refused() const { return refused_; }

 private:
  std::vector<std::string> exempt_;
  std::string refused_;
};

}  // namespace feedd::lib
