// Console passwords: stored as libsodium's Argon2id strings (salt and cost inside), so a copy
// of the database costs an attacker 64 MiB and a fraction of a second for every guess.
#pragma once

#include <optional>
#include <string>

namespace noi::server {

// Why a password may not be set, in words for the person choosing it; nullopt when it may.
std::optional<std::string> password_problem(const std::string& password);
// Throws std::runtime_error when the machine cannot spare the hash's memory.
std::string hash_password(const std::string& password);
// False for a wrong password and for a stored string that is not a hash.
bool verify_password(const std::string& stored, const std::string& password);

} // namespace noi::server
