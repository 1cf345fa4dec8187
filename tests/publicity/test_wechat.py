"""The WeChat Official Account client against a local server answering in the API's JSON shape."""

from __future__ import annotations

import datetime as dt

import pytest
from gxq.publicity import reminder, source, wechat
from gxq.run import Run

from tests.publicity.conftest import FakeWeChat

T = dt.datetime


def client_for(fake, *, account_type="订阅号", secret=None, **kwargs):
    account = wechat.WeChatAccount(fake.url, fake.APPID, secret or fake.SECRET, account_type)
    sleeps: list[float] = []
    client = wechat.WeChatClient(account, backoff=0.01, sleep=sleeps.append, **kwargs)
    return client, sleeps


def test_pages_through_every_publication(fake_wechat):
    client, _ = client_for(fake_wechat)
    articles = client.published_articles()
    # 45 publications, 3 pages of 20; one of them has two articles, one a deleted article
    assert client.calls == {"token": 1, "batchget": 3}
    assert [body for call, body in fake_wechat.requests if "batchget" in call] == [
        {"offset": 0, "count": 20, "no_content": 1},
        {"offset": 20, "count": 20, "no_content": 1},
        {"offset": 40, "count": 20, "no_content": 1},
    ]
    assert len(articles) == 45 + 1  # P-W09-b has 2 articles; P-W09-c 2 with one deleted
    assert "已删除" not in {a.title for a in articles}
    first = {a.article_id: a for a in articles}["P-W09-a"]
    assert first.published_at == T(2021, 3, 1, 0, 0)  # update_time taken in Asia/Shanghai


def test_stops_paging_once_past_since(fake_wechat):
    client, _ = client_for(fake_wechat)
    client.published_articles(since=T(2021, 3, 1))
    assert client.calls["batchget"] == 1  # the first page already reaches before March


def test_counts_at_the_boundaries(fake_wechat):
    client, _ = client_for(fake_wechat)
    articles = client.published_articles(since=T(2021, 3, 1))
    wed = wechat.counts_between(articles, T(2021, 3, 1), T(2021, 3, 3, 10))
    # P-W09-a at Monday 00:00 (in), P-W09-c (kept article only), P-W09-b exactly at D (out), P-W08 (out)
    assert wed == {"posts": 2, "update_days": 2, "sends": 2}
    after = wechat.counts_between(articles, T(2021, 3, 1), T(2021, 3, 3, 10, 0, 1))
    assert after == {"posts": 4, "update_days": 3, "sends": 3}


def test_expired_token_is_refreshed_and_the_call_retried(fake_wechat):
    client, _ = client_for(fake_wechat)
    client.published_articles(since=T(2021, 3, 1))
    fake_wechat.expire_token()  # the platform answers 42001 to the old token
    articles = client.published_articles(since=T(2021, 3, 1))
    assert client.calls["token"] == 2 and fake_wechat.tokens_issued == 2
    assert any(a.article_id == "P-W09-a" for a in articles)


def test_system_busy_backs_off_and_retries(fake_wechat):
    client, sleeps = client_for(fake_wechat)
    fake_wechat.busy(2)  # errcode -1 twice
    articles = client.published_articles(since=T(2021, 3, 1))
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential
    assert articles


def test_http_errors_back_off_and_retry(fake_wechat):
    client, sleeps = client_for(fake_wechat)
    fake_wechat.http_errors(2, 502)
    assert client.published_articles(since=T(2021, 3, 1))
    assert len(sleeps) == 2


def test_gives_up_after_max_retries(fake_wechat):
    client, sleeps = client_for(fake_wechat, max_retries=2)
    fake_wechat.busy(10)
    with pytest.raises(RuntimeError, match="gave up after 3 attempts"):
        client.published_articles()
    assert len(sleeps) == 3


def test_wrong_secret_fails_at_once_with_the_platform_message(fake_wechat):
    client, sleeps = client_for(fake_wechat, secret="wrong")
    with pytest.raises(wechat.WeChatError) as err:
        client.published_articles()
    assert err.value.errcode == 40125 and "invalid appsecret" in str(err.value)
    assert sleeps == [] and fake_wechat.tokens_issued == 0


def test_unreachable_server_is_retried_then_fails():
    account = wechat.WeChatAccount("http://127.0.0.1:9", "wx", "s")
    sleeps: list[float] = []
    client = wechat.WeChatClient(account, backoff=0.0, max_retries=1, sleep=sleeps.append, timeout=2)
    with pytest.raises(RuntimeError, match="gave up"):
        client.access_token()


def test_account_from_connection(monkeypatch, fake_wechat):
    monkeypatch.setenv("AIRFLOW_CONN_WECHAT_MP", fake_wechat.conn_json("服务号"))
    account = wechat.account_from_connection()
    assert account.base_url == fake_wechat.url and account.appid == fake_wechat.APPID
    assert account.account_type == "服务号" and account.monthly_send_limit == 4
    assert fake_wechat.SECRET not in repr(account)
    monkeypatch.setenv("AIRFLOW_CONN_WECHAT_MP", "https://wxid:se%2Fcret@api.example.cn/?account_type=subscription")
    account = wechat.account_from_connection()
    assert (account.base_url, account.secret, account.account_type) == ("https://api.example.cn", "se/cret", "订阅号")
    monkeypatch.setenv("AIRFLOW_CONN_WECHAT_MP", '{"conn_type": "http", "host": "api.weixin.qq.com"}')
    with pytest.raises(wechat.WeChatConfigError, match="AppID"):
        wechat.account_from_connection()
    monkeypatch.delenv("AIRFLOW_CONN_WECHAT_MP")
    with pytest.raises(wechat.WeChatConfigError, match="GXQ_WECHAT_SOURCE=table"):
        wechat.account_from_connection()
    with pytest.raises(wechat.WeChatConfigError):
        wechat.normalise_account_type("企业号")


def test_api_source_in_the_reminder(backend, fake_wechat, monkeypatch):
    """GXQ_WECHAT_SOURCE=api: posts from the API, submissions from the table; a 服务号 over its
    monthly sends is not urged to post."""
    monkeypatch.setenv("GXQ_WECHAT_SOURCE", "api")
    monkeypatch.setenv("AIRFLOW_CONN_WECHAT_MP", fake_wechat.conn_json("订阅号"))
    as_of = Run.build("publicity_cadence_reminder", None, as_of="2021-03-03T10:00")
    got = source.counts(*reminder.bounds(as_of))
    assert got.source == "api" and (got.wechat_updates, got.wechat_posts, got.info_submissions) == (2, 2, 2)
    report = reminder.build_report(as_of, got.to_dict())
    assert report["behind"] == [] and report["source"] == "api"

    # W12 Wednesday as a 服务号: March has 5 publications before D -> cap reached
    monkeypatch.setenv("AIRFLOW_CONN_WECHAT_MP", fake_wechat.conn_json("服务号"))
    as_of = Run.build("publicity_cadence_reminder", None, as_of="2021-03-24T10:00")
    got = source.counts(*reminder.bounds(as_of))
    assert got.account_type == "服务号" and got.sends_this_month == 5 and got.sends_left == 0
    report = reminder.build_report(as_of, got.to_dict())
    assert report["behind"] == ["wechat_updates"] and report["urged"] == []
    assert reminder.reminder_notice(report) is None


def test_updates_are_days_in_asia_shanghai():
    """The API gives Unix times: an update's day is its Asia/Shanghai day, not UTC's."""
    fake = FakeWeChat([
        # the same Shanghai day 2021-06-03, two UTC days (06-02 23:00Z and 06-03 01:00Z): one update
        ("A", "2021-06-03 07:00:00", ["早间"], set()),
        ("B", "2021-06-03 09:00:00", ["上午"], set()),
        # two Shanghai days (06-01 and 06-02), one UTC day (06-01 15:30Z and 16:30Z): two updates
        ("C", "2021-06-01 23:30:00", ["深夜"], set()),
        ("D", "2021-06-02 00:30:00", ["凌晨", "第二篇"], set()),
    ]).start()
    try:
        client, _ = client_for(fake)
        articles = client.published_articles()
    finally:
        fake.stop()
    got = wechat.counts_between(articles, T(2021, 5, 31), T(2021, 6, 4, 15))
    assert got == {"posts": 5, "update_days": 3, "sends": 4}
