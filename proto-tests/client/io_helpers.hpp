#pragma once
// Small helpers for driving Asio in tests without ever hanging.
#include <chrono>
#include <exception>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "crous/client/error.hpp"

namespace crous::test {

// Runs `io` until it has no work left; fails the test if that takes longer
// than `limit` (a hang) instead of blocking forever.
inline void run_until_idle(boost::asio::io_context& io, std::chrono::seconds limit = std::chrono::seconds(60)) {
  io.run_for(limit);
  EXPECT_TRUE(io.stopped()) << "io_context still busy after " << limit.count() << " s";
}

// co_spawn completion: a coroutine that throws fails the test.
inline void rethrow_failure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "coroutine threw: " << e.what();
  }
}

// The ClientErrc inside `error`, or nullopt if it holds something else.
inline std::optional<client::ClientErrc> client_errc(std::exception_ptr error) {
  if (!error) return std::nullopt;
  try {
    std::rethrow_exception(error);
  } catch (const client::ClientError& e) {
    return e.code();
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace crous::test
