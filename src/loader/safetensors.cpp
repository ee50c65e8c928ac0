// placeholder
namespace dsi::loader {}
