// The queue's schema as compiled into this binary: the scripts under schemas/sqlite/, embedded at
// build time (queue/embed_sql.cmake) so a deployed binary never reads the source tree.
#pragma once

#include <span>

#include "ofbridge/queue/sqlite/migrations.h"

namespace ofbridge::queue {

// Every migration in schemas/sqlite/, ordered by version.
std::span<const sqlite::Migration> embedded_migrations();

// The newest schema version this binary can read and write.
int latest_schema_version();

}  // namespace ofbridge::queue
