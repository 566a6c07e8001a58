// File: ocib/ocib.h
//
// The whole public API in one include. Each header it names also compiles
// on its own; include the ones you use when build time matters.
#ifndef OCIB_INCLUDE_OCIB_OCIB_H_
#define OCIB_INCLUDE_OCIB_OCIB_H_

#include "ocib/append.h"
#include "ocib/auth.h"
#include "ocib/blob_store.h"
#include "ocib/build_file.h"
#include "ocib/delete.h"
#include "ocib/descriptor.h"
#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/go_buildinfo.h"
#include "ocib/http.h"
#include "ocib/image.h"
#include "ocib/image_builder.h"
#include "ocib/image_config.h"
#include "ocib/image_location.h"
#include "ocib/inspect.h"
#include "ocib/io.h"
#include "ocib/layer.h"
#include "ocib/layer_cache.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/memory_store.h"
#include "ocib/mutate.h"
#include "ocib/oci_layout.h"
#include "ocib/platform.h"
#include "ocib/progress.h"
#include "ocib/pull.h"
#include "ocib/push.h"
#include "ocib/rebase.h"
#include "ocib/reference.h"
#include "ocib/referrers.h"
#include "ocib/registry.h"
#include "ocib/registry_referrers.h"
#include "ocib/registry_store.h"
#include "ocib/sbom.h"
#include "ocib/sbom_query.h"
#include "ocib/status.h"
#include "ocib/tags.h"
#include "ocib/unpack.h"
#include "ocib/validate.h"
#include "ocib/version.h"

#endif  // OCIB_INCLUDE_OCIB_OCIB_H_
