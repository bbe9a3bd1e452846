#include "password_hash.hpp"

#include <sodium.h>

#include <stdexcept>

namespace noi::server {
namespace {

// Passwords are typed by people; a longer one is a paste of something that is not one.
constexpr std::size_t min_chars = 10, max_bytes = 1024;

void init_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium could not start");
}

std::size_t characters(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

} // namespace

std::optional<std::string> password_problem(const std::string& password) {
    if (characters(password) < min_chars)
        return "a password has at least " + std::to_string(min_chars) +
               " characters; a few words of a sentence make a good one";
    if (password.size() > max_bytes)
        return "a password has at most " + std::to_string(max_bytes) + " bytes";
    if (password.find('\0') != std::string::npos || password.find('\n') != std::string::npos)
        return "a password cannot hold a line break or a NUL character";
    return std::nullopt;
}

std::string hash_password(const std::string& password) {
    init_sodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(
            out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw std::runtime_error("hashing the password ran out of memory (Argon2id needs 64 MiB)");
    return out;
}

bool verify_password(const std::string& stored, const std::string& password) {
    init_sodium();
    if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

} // namespace noi::server
