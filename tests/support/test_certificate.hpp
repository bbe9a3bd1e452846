// A self-signed certificate (for 127.0.0.1 and localhost unless told otherwise), made at test time
// with OpenSSL, so TLS tests need no files in the repository and no openssl command.
#pragma once

#include <string>

namespace noi::test {

struct certificate_files {
    std::string cert, key; // PEM paths
};

// names: the certificate's subjectAltName, as OpenSSL writes it.
certificate_files make_test_certificate(const std::string& dir,
                                        const std::string& names = "IP:127.0.0.1,DNS:localhost");

} // namespace noi::test
