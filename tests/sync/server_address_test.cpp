#include <noi/sync/server_address.hpp>

#include <gtest/gtest.h>

#include <string>

using noi::parse_server_address;

TEST(server_address, the_qr_s_websocket_form_and_the_http_form_name_one_connection) {
    for (const auto* url : {"https://10.20.0.5:443", "wss://10.20.0.5:443/sync",
                            "WSS://10.20.0.5:443/", "https://10.20.0.5:443/sync"}) {
        const auto a = parse_server_address(url);
        EXPECT_TRUE(a.tls) << url;
        EXPECT_EQ(a.host, "10.20.0.5") << url;
        EXPECT_EQ(a.port, "443") << url;
        EXPECT_FALSE(a.loopback()) << url;
    }
    const auto plain = parse_server_address("ws://127.0.0.1:8080/sync");
    EXPECT_FALSE(plain.tls);
    EXPECT_EQ(plain.scheme, "ws");
    EXPECT_TRUE(plain.loopback());
    EXPECT_EQ(plain.host_port(), "127.0.0.1:8080");
}

TEST(server_address, an_ipv6_address_is_bracketed_and_loopback_is_told_from_the_network) {
    const auto v6 = parse_server_address("wss://[2001:db8::5]:8443/sync");
    EXPECT_EQ(v6.host, "[2001:db8::5]");
    EXPECT_EQ(v6.bare_host(), "2001:db8::5");
    EXPECT_EQ(v6.host_port(), "[2001:db8::5]:8443");
    EXPECT_FALSE(v6.loopback());
    EXPECT_TRUE(parse_server_address("http://[::1]:80").loopback());
    EXPECT_TRUE(parse_server_address("http://localhost:80").loopback());
    EXPECT_TRUE(parse_server_address("http://127.3.4.5:80").loopback());
    EXPECT_FALSE(parse_server_address("http://128.0.0.1:80").loopback());
    EXPECT_FALSE(parse_server_address("http://localhost.example:80").loopback());
}

TEST(server_address, an_address_that_names_no_server_is_refused_saying_what_to_give) {
    struct bad {
        const char* url;
        const char* says;
    };
    for (const auto& [url, says] :
         {bad{"10.20.0.5:443", "must start with"}, bad{"ftp://10.20.0.5:21", "not ftp://"},
          bad{"https://10.20.0.5", "needs a port"},
          bad{"https://10.20.0.5:", "port must be a number"},
          bad{"https://10.20.0.5:0", "from 1 to 65535"},
          bad{"https://10.20.0.5:70000", "from 1 to 65535"},
          bad{"https://10.20.0.5:44a", "port must be a number"},
          bad{"https://10.20.0.5:443/api", "path must be /sync"},
          bad{"https://:443", "needs a host"},
          bad{"https://admin:pw@10.20.0.5:443", "no user or password"},
          bad{"https://[2001:db8::5]", "needs a port"},
          bad{"https://2001:db8::5:443", "in brackets"}, bad{"https://[]:443", "in brackets"},
          bad{"https://[example.org]:443", "in brackets"},
          bad{"https://sync example.org:443", "no host name"}}) {
        try {
            parse_server_address(url);
            ADD_FAILURE() << url << " was taken";
        } catch (const noi::bad_server_address& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(says), std::string::npos) << url << ": " << what;
            EXPECT_NE(what.find("wss://10.20.0.5:443/sync"), std::string::npos)
                << "the message shows a good address: " << what;
        }
    }
}
