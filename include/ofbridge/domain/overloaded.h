// `std::visit(overloaded{[](A) {...}, [](B) {...}}, v)`: one lambda per alternative. The deduction
// guide is spelt out because clang before 17 does not deduce aggregates' template arguments.
#pragma once

namespace ofbridge {

template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace ofbridge
