// placeholder until the layers library lands
namespace dsi::layers {}
