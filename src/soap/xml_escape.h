// The soap layer's sources include the escaper by this name; it is public (the export layer
// writes its <imports> documents with it too).
#pragma once

#include "ofbridge/soap/xml_escape.h"
