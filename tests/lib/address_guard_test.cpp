#include "lib/curl/address_guard.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>
#include <vector>

namespace feedd::lib {
namespace {

TEST(ClassifyAddress, Table) {
  struct Case {
    const char* address;
    AddressKind want;
  };
  const std::vector<Case> cases = {
      {"0.0.0.0", AddressKind::kUnspecified},
      {"0.1.2.3", AddressKind::kUnspecified},
      {"127.0.0.1", AddressKind::kLoopback},
      {"127.255.255.254", AddressKind::kLoopback},
      {"10.0.0.1", AddressKind::kPrivate},
      {"172.16.0.1", AddressKind::kPrivate},
      {"172.31.255.255", AddressKind::kPrivate},
      {"172.32.0.1", AddressKind::kPublic},
      {"172.15.255.255", AddressKind::kPublic},
      {"192.168.1.1", AddressKind::kPrivate},
      {"192.169.0.1", AddressKind::kPublic},
      {"100.64.0.1", AddressKind::kSharedNat},
      {"100.127.255.255", AddressKind::kSharedNat},
      {"100.128.0.1", AddressKind::kPublic},
      {"100.63.255.255", AddressKind::kPublic},
      {"169.254.169.254", AddressKind::kLinkLocal},  // the cloud metadata service
      {"224.0.0.1", AddressKind::kMulticast},
      {"239.255.255.250", AddressKind::kMulticast},
      {"240.0.0.1", AddressKind::kReserved},
      {"255.255.255.255", AddressKind::kReserved},
      {"8.8.8.8", AddressKind::kPublic},
      {"93.184.216.34", AddressKind::kPublic},
      {"::", AddressKind::kUnspecified},
      {"::1", AddressKind::kLoopback},
      {"fc00::1", AddressKind::kPrivate},
      {"fd12:3456::1", AddressKind::kPrivate},
      {"fec0::1", AddressKind::kPrivate},
      {"fe80::1", AddressKind::kLinkLocal},
      {"febf::1", AddressKind::kLinkLocal},
      {"ff02::1", AddressKind::kMulticast},
      {"2001:db8::1", AddressKind::kPublic},
      {"2606:4700:4700::1111", AddressKind::kPublic},
      // IPv6 forms that carry an IPv4 address are judged by it.
      {"::ffff:127.0.0.1", AddressKind::kLoopback},
      {"::ffff:10.1.2.3", AddressKind::kPrivate},
      {"::ffff:169.254.169.254", AddressKind::kLinkLocal},
      {"::ffff:8.8.8.8", AddressKind::kPublic},
      {"::127.0.0.1", AddressKind::kLoopback},
      {"::192.168.0.1", AddressKind::kPrivate},
      {"64:ff9b::7f00:1", AddressKind::kLoopback},
      {"64:ff9b::808:808", AddressKind::kPublic},
      {"2002:7f00:1::", AddressKind::kLoopback},
      {"2002:c0a8:101::1", AddressKind::kPrivate},
      {"2002:808:808::1", AddressKind::kPublic},
  };
  for (const Case& c : cases) {
    const auto kind = classify_address(c.address);
    ASSERT_TRUE(kind.has_value()) << c.address;
    EXPECT_EQ(address_kind_name(*kind), std::string(address_kind_name(c.want))) << c.address;
  }
}

TEST(ClassifyAddress, NotNumericIsNullopt) {
  for (const char* text : {"", "localhost", "example.com", "127.0.0.1:80", "1.2.3", "::g"}) {
    EXPECT_FALSE(classify_address(text).has_value()) << text;
  }
}

TEST(ClassifyAddress, OtherFamiliesAreReserved) {
  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_EQ(classify_address(&unix_like), AddressKind::kReserved);
  EXPECT_EQ(classify_address(static_cast<const sockaddr*>(nullptr)), AddressKind::kReserved);
}

sockaddr_in v4(const char* text, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, text, &a.sin_addr);
  return a;
}

TEST(AddressGuard, RefusesAllButPublicAndExemptEndpoints) {
  AddressGuard guard({"127.0.0.1:8080", "[::1]:9090"});
  const sockaddr_in exempt = v4("127.0.0.1", 8080);
  const sockaddr_in other_port = v4("127.0.0.1", 8081);
  const sockaddr_in metadata = v4("169.254.169.254", 80);
  const sockaddr_in pub = v4("93.184.216.34", 443);
  sockaddr_in6 six{};
  six.sin6_family = AF_INET6;
  six.sin6_port = htons(9090);
  inet_pton(AF_INET6, "::1", &six.sin6_addr);

  EXPECT_TRUE(guard.allow(reinterpret_cast<const sockaddr*>(&exempt)));
  EXPECT_TRUE(guard.allow(reinterpret_cast<const sockaddr*>(&six)));
  EXPECT_TRUE(guard.allow(reinterpret_cast<const sockaddr*>(&pub)));
  EXPECT_EQ(guard.refused(), "");
  EXPECT_FALSE(guard.allow(reinterpret_cast<const sockaddr*>(&other_port)));
  EXPECT_EQ(guard.refused(), "address 127.0.0.1 is loopback");
  EXPECT_FALSE(guard.allow(reinterpret_cast<const sockaddr*>(&metadata)));
  EXPECT_EQ(guard.refused(), "address 169.254.169.254 is link-local");
  EXPECT_EQ(endpoint_text(reinterpret_cast<const sockaddr*>(&six)), "[::1]:9090");
}

}  // namespace
}  // namespace feedd::lib
