// File: ocib/suggest.h
//
// "Did you mean": the known name nearest to one a user mistyped (a build
// file's key, a command-line flag or command).
#ifndef OCIB_INCLUDE_OCIB_SUGGEST_H_
#define OCIB_INCLUDE_OCIB_SUGGEST_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/export.h"

namespace ocib {

// The optimal string alignment distance: inserting, deleting or replacing
// a character, or swapping two neighbours, costs 1 ("tgas" is 1 from "tags").
OCIB_EXPORT size_t EditDistance(std::string_view a, std::string_view b);

// The first of `candidates` nearest to `word`, when at most `max_distance`
// from it; nullopt otherwise (also for no candidates).
OCIB_EXPORT std::optional<std::string> ClosestMatch(std::string_view word,
                                                    const std::vector<std::string>& candidates,
                                                    size_t max_distance);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_SUGGEST_H_
