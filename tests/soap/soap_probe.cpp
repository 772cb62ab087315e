// Manual probe for the SOAP edge (not a test): lets PHP SoapClient and Python zeep be pointed at
// the served WSDL and at real replies without the HTTP layer.
//   soap_probe wsdl1 <base-url> <endpoint-path>         print the Magento-1 WSDL
//   soap_probe wsdl2 <base-url> <store> <svc[,svc...]>   print a Magento-2 WSDL
//   soap_probe reply [content-type] [soapaction] < body  decode stdin, print the reply envelope
//   soap_probe show  [content-type] [soapaction] < body  decode stdin, print what was decoded
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ofbridge/soap/codec.h"
#include "ofbridge/soap/wsdl.h"

namespace {

using namespace ofbridge;

std::string show(const domain::WireText& text) {
    return text ? "\"" + *text + "\"" : "null";
}

std::string reply_value(const soap::WireMessage& message) {
    struct {
        std::string operator()(const domain::WireLogin&) const { return "probe-session-id"; }
        std::string operator()(const domain::WireEndSession&) const { return "true"; }
        std::string operator()(const domain::WireInventoryUpdate& m) const {
            return "Success - Message " + m.message_seq_id.value_or("?") + " Received";
        }
        std::string operator()(const domain::WireShipmentCreate& m) const {
            return "Success - Message " + m.message_seq_id.value_or("?") + " Received";
        }
        std::string operator()(const domain::WireExportAck&) const { return "Success"; }
        std::string operator()(const domain::WireCreateToken&) const { return "probe-token"; }
        std::string operator()(const domain::WireProductGet&) const { return "product"; }
        std::string operator()(const domain::WireOrderGet&) const { return "order"; }
    } visitor;
    return std::visit(visitor, message);
}

void print_message(const soap::WireMessage& message) {
    struct {
        void operator()(const domain::WireLogin& m) const {
            std::cout << "login username=" << show(m.username) << " apiKey=" << show(m.api_key)
                      << "\n";
        }
        void operator()(const domain::WireEndSession& m) const {
            std::cout << "endSession sessionId=" << show(m.session_id) << "\n";
        }
        void operator()(const domain::WireInventoryUpdate& m) const {
            std::cout << "inventory session=" << show(m.session_id)
                      << " messageSeqId=" << show(m.message_seq_id) << "\n";
            for (const auto& q : m.qtys)
                std::cout << "  qty sku=" << show(q.sku) << " qty=" << show(q.qty)
                          << " source=" << show(q.source) << " loe=" << show(q.last_order_exported)
                          << "\n";
            for (const auto& s : m.seqs)
                std::cout << "  seq sku=" << show(s.sku) << " seq=" << show(s.seq)
                          << " loe=" << show(s.last_order_exported) << "\n";
        }
        void operator()(const domain::WireShipmentCreate& m) const {
            std::cout << "shipment order=" << show(m.order_increment_id)
                      << " messageSeqId=" << show(m.message_seq_id)
                      << " tracking=" << show(m.tracking_number) << "\n";
            for (const auto& i : m.items)
                std::cout << "  item sku=" << show(i.sku) << " qty=" << show(i.qty)
                          << " source=" << show(i.source) << "\n";
            for (const auto& t : m.tracks) std::cout << "  track " << t << "\n";
        }
        void operator()(const domain::WireExportAck& m) const {
            std::cout << "export " << domain::to_string(m.entity)
                      << " reference=" << show(m.reference) << "\n";
        }
        void operator()(const domain::WireCreateToken& m) const {
            std::cout << "token username=" << show(m.username) << " password=" << show(m.password)
                      << "\n";
        }
        void operator()(const domain::WireProductGet& m) const {
            std::cout << "product get sku=" << show(m.sku) << "\n";
        }
        void operator()(const domain::WireOrderGet& m) const {
            std::cout << "order get id=" << show(m.id) << "\n";
        }
    } visitor;
    std::visit(visitor, message);
}

std::vector<std::string> split(const std::string& list) {
    std::vector<std::string> parts;
    std::stringstream stream(list);
    for (std::string part; std::getline(stream, part, ',');) parts.push_back(part);
    return parts;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "wsdl1") {
        std::cout << soap::magento1_wsdl(args[1], args[2]);
        return 0;
    }
    if (args.size() == 4 && args[0] == "wsdl2") {
        auto document = soap::magento2_wsdl(args[1], args[2], split(args[3]));
        if (!document) return 2;
        std::cout << *document;
        return 0;
    }
    if (!args.empty() && (args[0] == "reply" || args[0] == "show")) {
        const std::string body{std::istreambuf_iterator<char>(std::cin),
                               std::istreambuf_iterator<char>()};
        const auto result =
            soap::decode(body, args.size() > 1 ? args[1] : "", args.size() > 2 ? args[2] : "", {});
        if (const auto* fault = std::get_if<soap::Fault>(&result)) {
            if (args[0] == "show")
                std::cout << "FAULT: " << fault->message << "\n";
            else
                std::cout << soap::encode_fault(*fault);
            return 1;
        }
        const auto& request = std::get<soap::DecodedRequest>(result);
        if (args[0] == "show") {
            std::cout << "operation=" << request.operation << " ns=" << request.namespace_uri
                      << " service=" << request.service
                      << " v12=" << (request.version == soap::SoapVersion::v12) << "\n";
            print_message(request.message);
            return 0;
        }
        if (std::holds_alternative<domain::WireEndSession>(request.message))
            std::cout << soap::encode_bool_result(request, true);
        else
            std::cout << soap::encode_string_result(request, reply_value(request.message));
        return 0;
    }
    std::cerr << "usage: soap_probe wsdl1 BASE PATH | wsdl2 BASE STORE SVC[,SVC] | reply|show [CT] "
                 "[ACTION] < body\n";
    return 64;
}
