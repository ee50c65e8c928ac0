// placeholder
namespace dsi::models {}
