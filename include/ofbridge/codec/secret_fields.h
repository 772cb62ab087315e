// The one list of credential field names, compared case-insensitively with an XML element's
// local name (the SOAP routes, headers included: WS-Security's <wsse:Password>) or a JSON key at
// any depth (the REST routes). Their values are masked before a body is stored or shown. It
// lives with the decoders because masking is part of decoding a body (soap::decode takes it as
// its SecretName, mask_json_secrets uses it), and the worker re-decodes stored bodies here too.
#pragma once

#include <string_view>

namespace ofbridge::codec {

bool is_secret_field(std::string_view local_name);

}  // namespace ofbridge::codec
