"""The course diagrams: ``diagram`` is the small drawing kit, each ``draw_<name>`` module draws one picture
into ``<name>.png`` beside it (``python -m pictures.draw_bert_flow``), and ``make_pictures`` redraws them all in
English and, with the texts of ``translations/zh-CN/pictures.json``, in Chinese into ``zh-CN/``
(``python -m pictures.make_pictures``, what ``make pictures`` runs). The PNGs are committed, so neither the
notebooks nor the site need a drawing step.
"""
