import ldap
from flask import Flask, request
from ldap3.utils.conv import escape_filter_chars
from lxml import etree
from myapp.models import Account

app = Flask(__name__)
DIRECTORY = etree.parse("users.xml")


@app.route("/user")
def user() -> str:
    name = request.args["name"]
    # ruleid: microgate.xpath-ldap-injection
    found = DIRECTORY.xpath("//user[@name='" + name + "']")
    # ok: microgate.xpath-ldap-injection
    same = DIRECTORY.xpath("//user[@name = $name]", name=name)
    return str(found + same)


@app.route("/people")
def people(connection: ldap.ldapobject.LDAPObject) -> str:
    uid = request.args["uid"]
    # ruleid: microgate.xpath-ldap-injection
    found = connection.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE, "(uid=" + uid + ")")
    # ok: microgate.xpath-ldap-injection
    safe = connection.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE,
                               "(uid=" + escape_filter_chars(uid) + ")")
    return str(found + safe)


@app.route("/accounts", methods=["POST"])
def create_account() -> str:
    # ruleid: microgate.mass-assignment
    account = Account(**request.json)
    data = request.get_json()
    # ok: microgate.mass-assignment
    named = Account(email=data["email"], name=data["name"])
    return str(account) + str(named)


@app.route("/accounts/<int:account_id>", methods=["PATCH"])
def update_account(account_id: int) -> str:
    account = Account.query.get(account_id)
    for field, value in request.json.items():
        # ruleid: microgate.mass-assignment
        setattr(account, field, value)
    return "updated"
