#include "lib/curl/address_guard.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace feedd::lib {
namespace {

AddressKind classify_v4(std::uint32_t a) {  // host byte order
  const auto in = [a](std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (a & mask) == net;
  };
  if (in(0x00000000, 8)) return AddressKind::kUnspecified;
  if (in(0x7f000000, 8)) return AddressKind::kLoopback;
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return AddressKind::kPrivate;
  if (in(0x64400000, 10)) return AddressKind::kSharedNat;
  if (in(0xa9fe0000, 16)) return AddressKind::kLinkLocal;
  if (in(0xe0000000, 4)) return AddressKind::kMulticast;
  if (in(0xf0000000, 4)) return AddressKind::kReserved;  // includes 255.255.255.255
  return AddressKind::kPublic;
}

std::uint32_t v4_at(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

AddressKind classify_v6(const unsigned char* b) {
  static constexpr std::array<unsigned char, 10> kZero10{};
  const bool first80_zero = std::memcmp(b, kZero10.data(), 10) == 0;
  if (first80_zero && b[10] == 0xff && b[11] == 0xff) return classify_v4(v4_at(b + 12));
  if (first80_zero && b[10] == 0 && b[11] == 0) {
    const std::uint32_t low = v4_at(b + 12);
    if (low == 0) return AddressKind::kUnspecified;
    if (low == 1) return AddressKind::kLoopback;
    return classify_v4(low);  // IPv4-compatible (deprecated, but a kernel may still route it)
  }
  // NAT64 well-known prefix 64:ff9b::/96: a gateway would connect to the embedded address.
  static constexpr std::array<unsigned char, 12> kNat64{0, 0x64, 0xff, 0x9b};
  if (std::memcmp(b, kNat64.data(), 12) == 0) return classify_v4(v4_at(b + 12));
  if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(v4_at(b + 2));  // 6to4
  if ((b[0] & 0xfe) == 0xfc) return AddressKind::kPrivate;             // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressKind::kLinkLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressKind::kPrivate;  // site-local
  if (b[0] == 0xff) return AddressKind::kMulticast;
  return AddressKind::kPublic;
}

}  // namespace

const char* address_kind_name(AddressKind kind) {
  switch (kind) {
    case AddressKind::kPublic:
      return "public";
    case AddressKind::kUnspecified:
      return "unspecified";
    case AddressKind::kLoopback:
      return "loopback";
    case AddressKind::kPrivate:
      return "private";
    case AddressKind::kSharedNat:
      return "shared NAT";
    case AddressKind::kLinkLocal:
      return "link-local";
    case AddressKind::kMulticast:
      return "multicast";
    case AddressKind::kReserved:
      return "reserved";
  }
  return "reserved";
}

AddressKind classify_address(const sockaddr* address) {
  if (address == nullptr) return AddressKind::kReserved;
  if (address->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    return classify_v4(ntohl(in.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof in6);
    return classify_v6(in6.sin6_addr.s6_addr);
  }
  return AddressKind::kReserved;
}

std::optional<AddressKind> classify_address(std::string_view numeric) {
  const std::string text(numeric);
  sockaddr_in in{};
  if (inet_pton(AF_INET, text.c_str(), &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    return classify_address(reinterpret_cast<const sockaddr*>(&in));
  }
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET6, text.c_str(), &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    return classify_address(reinterpret_cast<const sockaddr*>(&in6));
  }
  return std::nullopt;
}

std::string endpoint_text(const sockaddr* address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address != nullptr && address->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof in);
    if (inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf) == nullptr) return {};
    return std::string(buf) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (address != nullptr && address->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof in6);
    if (inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf) == nullptr) return {};
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  return {};
}

bool AddressGuard::allow(const sockaddr* address) {
  const AddressKind kind = classify_address(address);
  if (kind == AddressKind::kPublic) return true;
  const std::string endpoint = endpoint_text(address);
  if (!endpoint.empty() && std::find(exempt_.begin(), exempt_.end(), endpoint) != exempt_.end()) {
    return true;
  }
  // The address without its port: the port says nothing about why it was refused.
  std::string host = endpoint.substr(0, endpoint.rfind(':'));
  if (host.starts_with('[')) host = host.substr(1, host.size() - 2);
  refused_ =
      "address " + (host.empty() ? std::string("?") : host) + " is " + address_kind_name(kind);
  return false;
}

}  // namespace feedd::lib
