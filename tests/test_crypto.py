"""Field encryption in bulk (a register import) and the blind index."""

from carenet.lib.crypto import PREFIX, blind_index, blind_indexer, decrypt, encrypt, encrypt_many


def test_many_values_encrypt_to_tokens_that_open_to_them(settings):
    values = ["13812345678", "340827201503040013", "", "张三", "13812345678"]
    tokens = encrypt_many(values)
    assert [decrypt(t) for t in tokens] == values
    assert all(t.startswith(PREFIX) for t in tokens)
    assert tokens[0] != tokens[4]  # the same value, a fresh nonce each time
    assert decrypt(encrypt("王子涵")) == "王子涵"


def test_every_value_gets_its_own_nonce():
    tokens = encrypt_many(["1"] * 2000)
    assert len(set(tokens)) == 2000


def test_the_indexer_gives_the_blind_index():
    index = blind_indexer()
    for value in ["34082720150304001x", " 34082720150304001X ", "", "13812345678"]:
        assert index(value) == blind_index(value)
    assert index("34082720150304001x") == index("34082720150304001X")
    assert index("") == ""
