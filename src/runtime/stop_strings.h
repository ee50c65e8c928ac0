// Stop strings for streamed text: holds back just enough text to tell whether a stop string
// is starting, so nothing after (or of) a stop string is ever emitted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dsi::runtime {

class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops);

  // Appends newly decoded text; returns the text that is now safe to emit. Once a stop string
  // is complete, stopped() is true and the text from the stop string on is dropped.
  std::string Push(std::string_view text);
  // End of stream without a stop: the text still held back.
  std::string Flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace dsi::runtime
