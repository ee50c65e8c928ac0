// placeholder until the dist library lands
namespace dsi::dist {}
