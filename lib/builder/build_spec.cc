// The value types of a BuildSpec (see include/ocib/image_builder.h) and
// their text forms, shared by the CLI and build files.
#include <algorithm>
#include <string>
#include <string_view>
#include <variant>

#include <fmt/format.h>

#include "ocib/image_builder.h"

namespace ocib {

Result<BuildBase> ParseBuildBase(std::string_view text) {
  if (text == "static") return BuildBase{StaticBase{}};
  if (text == "scratch") return BuildBase{ScratchBase{}};
  auto where = ImageLocation::Parse(text);
  if (!where) {
    return std::move(where).error().With(
        fmt::format("base \"{}\": want static, scratch or an image location", text));
  }
  return BuildBase{std::move(*where)};
}

std::string BuildBaseName(const BuildBase& base) {
  if (std::holds_alternative<StaticBase>(base)) return "static";
  if (std::holds_alternative<ScratchBase>(base)) return "scratch";
  return std::get<ImageLocation>(base).ToString();
}

Result<FileMapping> FileMapping::Parse(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return InvalidArgument(fmt::format("\"{}\": want SRC:DEST", text));
  }
  return FileMapping{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

std::string FileMapping::ToString() const { return source + ":" + destination; }

Result<ExposedPort> ExposedPort::Parse(std::string_view text) {
  std::string_view port = text;
  std::string_view proto = "tcp";
  auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    port = text.substr(0, slash);
    proto = text.substr(slash + 1);
  }
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  int number = 0;
  if (digits) {
    for (char c : port) number = number * 10 + (c - '0');
  }
  if (!digits || number < 1 || number > 65535) {
    return InvalidArgument(fmt::format("port \"{}\": must be 1-65535", text));
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return InvalidArgument(fmt::format("port \"{}\": the protocol must be tcp, udp or sctp", text));
  }
  return ExposedPort{number, std::string(proto)};
}

std::string ExposedPort::ToString() const { return fmt::format("{}/{}", port, protocol); }

}  // namespace ocib
