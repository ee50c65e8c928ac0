// placeholder until the chat-template renderer lands
namespace dsi::chat_template {}
