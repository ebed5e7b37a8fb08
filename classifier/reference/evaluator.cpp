// STUB: being written (reference helper).
#include "classifier/reference/evaluator.hpp"
namespace podgate::classifier::reference {
evaluator::evaluator(const config::cluster& c, options opt) : _cluster(c), _options(opt) {}
verdict evaluator::evaluate(const flow&) const { return {}; }
std::string evaluator::explain(const flow&) const { return {}; }
const config::pod* evaluator::pod_at(const ip_address&) const { return nullptr; }
}
