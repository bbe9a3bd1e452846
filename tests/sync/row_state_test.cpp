// The packed per-row state: cells equal to the existence cell are packed by reference, and
// every other cell keeps its own version, base and sequence.
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {

version ver(std::uint64_t hlc, std::uint8_t site) {
    version v{hlc, {}};
    v.site[0] = site;
    return v;
}

} // namespace

TEST(row_state, a_row_written_in_one_change_packs_small_and_round_trips) {
    row_state s;
    s.exists = cell_state{ver(100, 1), std::nullopt, 7};
    s.cells.assign(13, s.exists);
    auto bytes = pack_row_state(s);
    EXPECT_LT(bytes.size(), 60u);
    EXPECT_EQ(unpack_row_state(bytes, 13), s);
}

TEST(row_state, cells_that_differ_from_the_existence_cell_keep_their_own_versions) {
    row_state s;
    s.exists = cell_state{ver(100, 1), std::nullopt, 7};
    s.cells.assign(4, s.exists);
    s.cells[1] = cell_state{ver(200, 2), ver(100, 1), 9};
    s.cells[2] = cell_state{ver(100, 1), std::nullopt, 8}; // same version, other sequence
    s.cells[3] = std::nullopt;
    s.alive = false;
    s.seen = {ver(150, 3)};
    s.tomb = {std::string("Nà Pài"), std::int64_t{4}, value{}, 2.5};
    EXPECT_EQ(unpack_row_state(pack_row_state(s), 4), s);
}

TEST(row_state, a_table_that_gained_columns_reads_them_as_absent) {
    row_state s;
    s.exists = cell_state{ver(100, 1), std::nullopt, 7};
    s.cells.assign(2, s.exists);
    auto back = unpack_row_state(pack_row_state(s), 3);
    ASSERT_EQ(back.cells.size(), 3u);
    EXPECT_EQ(back.cells[1], s.exists);
    EXPECT_FALSE(back.cells[2]);
}

TEST(row_state, a_tablet_rows_cell_digests_round_trip_and_older_states_read_without) {
    row_state s;
    s.exists = cell_state{ver(100, 1), std::nullopt, 7};
    s.cells.assign(3, s.exists);
    auto without = pack_row_state(s);
    s.digests = {0x0123456789abcdefull, 0, ~0ull};
    auto with = pack_row_state(s);
    EXPECT_EQ(with.size(), without.size() + 1 + 2 + 24); // audit sequence 0, bin header, bytes
    EXPECT_EQ(unpack_row_state(with, 3), s);
    EXPECT_TRUE(unpack_row_state(without, 3).digests.empty());
    s.audit_seq = 42;
    EXPECT_EQ(unpack_row_state(pack_row_state(s), 3), s);
}

TEST(row_state, bytes_that_do_not_decode_are_reported_as_corrupt) {
    EXPECT_THROW(unpack_row_state("\x93\x01", 2), sync_error);
    EXPECT_THROW(unpack_row_state("not msgpack at all", 2), sync_error);
    // Seven fields whose digests are not a whole number of 8-byte digests.
    const std::string odd_digests("\x97\xc3\xc0\x90\x90\x90\x00\xc4\x03"
                                  "abc",
                                  12);
    EXPECT_THROW(unpack_row_state(odd_digests, 0), sync_error);
    const std::string one_digest("\x97\xc3\xc0\x90\x90\x90\x00\xc4\x08"
                                 "abcdefgh",
                                 17);
    EXPECT_EQ(unpack_row_state(one_digest, 0).digests.size(), 1u);
}
