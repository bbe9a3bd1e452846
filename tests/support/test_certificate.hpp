// A self-signed certificate for 127.0.0.1 and localhost, made at test time with OpenSSL, so
// TLS tests need no files in the repository and no openssl command.
#pragma once

#include <string>

namespace noi::test {

struct certificate_files {
    std::string cert, key; // PEM paths
};

certificate_files make_test_certificate(const std::string& dir);

} // namespace noi::test
