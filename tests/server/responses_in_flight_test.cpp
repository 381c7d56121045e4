// ResponsesInFlight: what Server::stop waits for before the HTTP layer stops writing bodies.
#include "server/responses_in_flight.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

namespace engine::server::test {
namespace {

using std::chrono::milliseconds;

TEST(ResponsesInFlight, IdleOnlyOnceEveryTokenAndCopyIsGone) {
  ResponsesInFlight in_flight;
  EXPECT_TRUE(in_flight.wait_idle(milliseconds(0)));
  std::shared_ptr<void> first = in_flight.enter();
  std::shared_ptr<void> copy = first;
  std::shared_ptr<void> second = in_flight.enter();
  EXPECT_FALSE(in_flight.wait_idle(milliseconds(1)));
  first.reset();
  EXPECT_FALSE(in_flight.wait_idle(milliseconds(1)));  // its copy still counts
  copy.reset();
  EXPECT_FALSE(in_flight.wait_idle(milliseconds(1)));
  second.reset();
  EXPECT_TRUE(in_flight.wait_idle(milliseconds(0)));
}

TEST(ResponsesInFlight, AWaiterWakesWhenTheLastResponseEnds) {
  ResponsesInFlight in_flight;
  std::shared_ptr<void> token = in_flight.enter();
  auto waiter =
      std::async(std::launch::async, [&] { return in_flight.wait_idle(std::chrono::seconds(30)); });
  EXPECT_EQ(waiter.wait_for(milliseconds(20)), std::future_status::timeout);
  token.reset();
  EXPECT_TRUE(waiter.get());
}

}  // namespace
}  // namespace engine::server::test
