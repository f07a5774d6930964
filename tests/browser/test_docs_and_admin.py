from executions.management.commands.setup_demo import DEMO_PASSWORD, DEMO_USERNAME


def test_swagger_ui_renders_with_no_request_leaving_the_machine(page, live_server, guard):
    page.goto(f"{live_server.url}/api/schema/swagger-ui/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.get_by_text("/api/flows/public/{public_id}/start/").first.is_visible()
    page.wait_for_load_state("networkidle")
    # The context's guard fails the test if anything went to another host.
    assert guard.outside == []


def test_redoc_renders_with_no_request_leaving_the_machine(page, live_server, guard):
    page.goto(f"{live_server.url}/api/schema/redoc/")
    page.locator("h2", has_text="Start a chat with a published chatbot").wait_for()
    page.wait_for_load_state("networkidle")
    assert guard.outside == []
    # ReDoc's footer logo (a CDN image) is never fetched: the page's CSP stops it and ReDoc drops it.
    page.locator("img[src*='cdn.']").wait_for(state="detached")
    assert page.get_by_text("API docs by Redocly").is_visible()


def test_the_admin_login_and_chatbot_list_render_for_the_demo_superuser(page, live_server, demo_bot, artifacts):
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Site administration").wait_for()
    page.goto(f"{live_server.url}/admin/chatbots/chatbot/")
    page.get_by_role("link", name="Demo assistant").wait_for()
    assert "Select chatbot to change" in page.content()
    page.screenshot(path=artifacts / "admin-chatbot-list.png")
