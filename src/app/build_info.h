// What `ofbridge --version` prints: the project version (CMake's project()) and the git revision
// the binary was built from (computed at build time by cmake/BuildInfo.cmake; "unknown" when the
// sources were not a git checkout).
#pragma once

namespace ofbridge::app {

const char* build_revision();

}  // namespace ofbridge::app
