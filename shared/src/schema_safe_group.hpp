// A store's group (server_store::begin) as a transaction of its storage that, rolled back,
// leaves the port serving the schema of the one before: a transaction that published a
// version and did not commit must not leave it behind. `Tx` is the storage's transaction,
// rolled back unless committed (noi::transaction, pg::transaction).
#pragma once

#include <noi/sync/store_port.hpp>

#include <optional>

namespace noi {

template <typename Tx> class schema_safe_group final : public store_group {
public:
    template <typename Connection>
    schema_safe_group(Connection& c, store_port& port) : port_(port) {
        tx_.emplace(c);
    }
    ~schema_safe_group() override {
        if (committed_) return;
        tx_.reset();
        try {
            port_.refresh_schema();
        } catch (const std::exception&) {
            // The connection failed too: the next transaction reads the schema afresh.
        }
    }
    void commit() override {
        tx_->commit();
        committed_ = true;
    }

private:
    store_port& port_;
    std::optional<Tx> tx_;
    bool committed_ = false;
};

} // namespace noi
