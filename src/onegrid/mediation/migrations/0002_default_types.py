"""The default mediation types and the law each is mediated under (mediation.legal_basis)."""

from django.db import migrations

# The defaults as they stood when this migration was written: a migration must not change when
# the module it reads from does.
TYPES = (
    ("neighbour", "邻里纠纷", "Neighbour dispute", "《中华人民共和国民法典》", "第二百八十八条至第二百九十六条（相邻关系）"),
    ("family", "婚姻家庭纠纷", "Marriage and family dispute", "《中华人民共和国民法典》", "第一千零四十条至第一千一百一十八条（婚姻家庭编）"),
    ("inheritance", "继承纠纷", "Inheritance dispute", "《中华人民共和国民法典》", "第一千一百一十九条至第一千一百六十三条（继承编）"),
    ("property", "物业纠纷", "Property management dispute", "《中华人民共和国民法典》", "第九百三十七条至第九百五十条（物业服务合同）"),
    ("labour", "劳动争议", "Labour dispute", "《中华人民共和国劳动争议调解仲裁法》", "第十条至第十六条（调解）"),
    ("land", "土地承包纠纷", "Rural land contracting dispute", "《中华人民共和国农村土地承包法》", "第五十五条"),
    ("housing_land", "房屋宅基地纠纷", "House and homestead dispute", "《中华人民共和国土地管理法》", "第十四条、第六十二条"),
    ("damages", "损害赔偿纠纷", "Damages dispute", "《中华人民共和国民法典》", "第一千一百六十四条至第一千二百五十八条（侵权责任编）"),
    ("contract", "合同纠纷", "Contract dispute", "《中华人民共和国民法典》", "第四百六十三条至第九百八十八条（合同编）"),
    ("consumer", "消费纠纷", "Consumer dispute", "《中华人民共和国消费者权益保护法》", "第三十九条"),
    ("other", "其他纠纷", "Other dispute", "《中华人民共和国人民调解法》", "第二条"),
)


def add_types(apps, schema_editor):
    MediationType = apps.get_model("mediation", "MediationType")
    for code, name, name_en, law, article in TYPES:
        # Only the missing ones: a type an administrator set up or edited stays as it is.
        MediationType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "legal_basis_law": law,
                "legal_basis_article": article,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("mediation", "0001_register_screening_risks_advice")]

    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
