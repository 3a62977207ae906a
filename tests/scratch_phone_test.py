import json
from django.conf import settings
from django.test import Client
from tests.browser import BROWSER_MARKS, CHROMIUM, PHONE
from tests.test_browser_phone_pages import _cast_build, AXE

pytestmark = BROWSER_MARKS

def test_scratch(live_server, transactional_db):
    from playwright.sync_api import sync_playwright
    cast = _cast_build()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for role in ["county_admin", "township_supervisor"]:
            context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
            client = Client(); client.force_login(cast.users[role])
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
            page = context.new_page()
            page.goto(live_server.url + "/dashboard/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=f"/tmp/shots/{role}-dash.png", full_page=True)
            info = page.evaluate("""() => Array.from(document.querySelectorAll('[_echarts_instance_]')).map(el => {
              const chart = echarts.getInstanceByDom(el);
              return [el.id, chart.getZr().storage.getDisplayList(true).filter(d => d.type === 'tspan' || d.type === 'text').slice(0, 40).map(d => {
                 const chain = []; let p = d.parent; while (p) { chain.push((p.type||'') + ':' + (p.name||'') + ':' + (p.anid||'') + ':' + Object.keys(p).filter(k => k.startsWith('__')).join(',')); p = p.parent; }
                 const r = d.getBoundingRect().clone(); r.applyTransform(d.getComputedTransform());
                 return [d.style.text, d.anid, d.ignore, d.invisible, Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height), chain.slice(0,4).join(' < ')];
              })];
            })""")
            open(f"/tmp/shots/{role}-labels.json", "w").write(json.dumps(info, ensure_ascii=False, indent=0))
            context.close()
        browser.close()
