// STUB: being written.
#include "classifier/compile/compiler.hpp"
namespace podgate::classifier {
void tables::block_deleter::operator()(std::byte* p) const noexcept { ::operator delete[](p, std::align_val_t{64}); }
compile_result compile(const config::cluster&, const compile_options&) { return {nullptr, "not implemented"}; }
}
