# %% [markdown]
# # 08 · Comparando execuções e boas práticas
#
# A página do DataFlow Lab encerra seu roteiro com duas coisas: como comparar execuções (runs)
# na UI do MLflow, e seis boas práticas. Esta lição percorre passo a passo a comparação na UI
# com os candidatos da lição 02, faz a mesma comparação em código e depois mostra cada prática
# numa célula própria, com uma verificação de que ela realmente aconteceu.
#
# **Você vai aprender** a visão **Compare** da UI; a comparar execuções com `search_runs`; a
# nomear experimentos (experiments); a logar todos os parâmetros e os conjuntos de
# dados (datasets) que um modelo viu (`mlflow.data`); métricas de treinamento, validação e teste, e
# qual delas usar para escolher; a logar artefatos (artifacts) de diagnóstico (matriz
# de confusão, resíduos); a organizar execuções com tags; a documentar modelos registrados.
#
# **Tempo:** 40 minutos (cerca de 20 para ler e seguir os passos na UI, 1 para executar as
# células, 15 para o exercício).
# **Pré-requisitos:** 01, 02 e 04.
#
# **No mapa** (lição 00): execuções e experimentos como a UI os mostra.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
runs_to_compare = 3

# %% [markdown]
# ## Comparando execuções na UI
#
# A busca em grade (grid search) da lição 02 deixou uma execução pai, `grid_search_nested`, e
# nove execuções filhas, de `candidate_0` a `candidate_8`: uma por par de `alpha` e `l1_ratio`,
# cada uma com seu `cv_rmse` e seu `train_rmse`. Compare-as na UI:
#
# 1. Abra a UI do MLflow em http://localhost:5000, mude o seletor no canto superior esquerdo de
#    **GenAI** para **Model training** (as execuções, modelos e registro desta lição ficam lá; o
#    modo GenAI guarda traces e prompts, lição 11) e escolha **Experiments** na barra à esquerda. A página
#    lista um experimento por lição, o mais novo primeiro: `lab_tour` (lição 00),
#    `meu_experimento` (01–05), `projetos_mlflow` (06), `pipeline_treinamento` (07),
#    `precos_casas_windsor/boas_praticas` (esta lição, depois que você a executar). A imagem
#    foi feita depois de uma passagem pelo curso inteiro, por isso mostra também
#    `direct_to_s3` (o experimento da lição 09 que grava artefatos diretamente no bucket),
#    `capstone` (lição 10) e `_lab_doctor`, onde o `lab doctor` verifica que um artefato
#    chega ao armazenamento e volta (ele apaga as suas execuções, por isso o experimento
#    parece vazio). `Default` é o experimento com que todo servidor MLflow começa.
#
#    ![A página de experimentos](../../docs/screenshots/01_experiments.png)
#
# 2. Clique em **meu_experimento**. Para ver só os candidatos, digite
#    `attributes.run_name LIKE 'candidate_%'` na caixa de busca e pressione Enter. Os nove
#    candidatos de uma primeira passagem pelas lições 01–04 (cada nova execução da lição 02
#    acrescenta mais nove) ficam sob a execução pai `grid_search_nested`, que a busca mantém
#    à vista: clique no **⊞** ao lado do nome dela para desdobrá-los. A tabela mostra o nome de cada execução, quando foi criada, o conjunto de
#    dados, a duração, a origem e os modelos, mas não os seus parâmetros nem as suas
#    métricas: clique em **Columns** e marque `cv_rmse` e `train_rmse` em **Metrics**, e
#    `alpha` e `l1_ratio` em **Parameters**, para acrescentá-los como colunas (a imagem
#    mostra a tabela antes desse passo).
#
#    ![Os candidatos da lição 02](../../docs/screenshots/02_runs.png)
#
# 3. Marque as caixas de seleção das execuções que quer comparar — digamos, as três com o menor
#    `cv_rmse` (a imagem antes restringe a busca, com `AND metrics.cv_rmse <= …` depois do
#    filtro): um botão **Compare** aparece acima da tabela.
#
#    ![Três candidatos selecionados](../../docs/screenshots/03_selected.png)
#
# 4. Clique em **Compare**. A página de comparação mostra as execuções lado a lado: um gráfico
#    de coordenadas paralelas de `alpha`, `l1_ratio` e `cv_rmse`, gráficos de dispersão e de
#    contorno de um contra o outro, e os parâmetros e as métricas numa tabela.
#
#    ![A página de comparação](../../docs/screenshots/04_compare.png)
#
# ## A mesma comparação em código
#
# A UI serve para olhar; o código serve para decidir e para deixar rastro. Busque os melhores
# candidatos da busca da lição 02 e ponha seus parâmetros e métricas lado a lado, como faz a
# página **Compare**.

# %%
import mlflow

parent = mlflow.search_runs(experiment_names=["meu_experimento"],
                            filter_string="attributes.run_name = 'grid_search_nested'",
                            order_by=["attributes.start_time DESC"], max_results=1)
candidates = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string=f"tags.mlflow.parentRunId = '{parent.run_id[0]}'",
    order_by=["metrics.cv_rmse ASC"], max_results=runs_to_compare,
)
side_by_side = (candidates.set_index("tags.mlflow.runName")
                [["params.alpha", "params.l1_ratio", "metrics.cv_rmse", "metrics.train_rmse"]].T)
side_by_side

# %% [markdown]
# A busca escolheu a vencedora pelo mesmo erro de validação cruzada. A primeira coluna tem de
# trazer os parâmetros que a execução pai logou como `best_alpha` e `best_l1_ratio`:

# %% tags=["nbval-check-output"]
top = candidates.iloc[0]
chosen = {"alpha": parent["params.best_alpha"][0], "l1_ratio": parent["params.best_l1_ratio"][0]}
print(f"menor RMSE de validação cruzada: {top['tags.mlflow.runName']}, alpha={top['params.alpha']}, "
      f"l1_ratio={top['params.l1_ratio']}, {lab_utils.format_number(top['metrics.cv_rmse'])} CAD")
print(f"escolha do GridSearchCV: alpha={chosen['alpha']}, l1_ratio={chosen['l1_ratio']}")
assert (top["params.alpha"], top["params.l1_ratio"]) == (chosen["alpha"], chosen["l1_ratio"]), \
    "a execução com o menor cv_rmse não é a escolha da busca: execute de novo a lição 02"

# %% [markdown]
# ## 1 · Dê aos experimentos nomes fáceis de encontrar
#
# Um nome que diz *o que* está sendo modelado e *como* é melhor que `test2`. Uma descrição (a
# tag `mlflow.note.content`) e tags no experimento dizem o resto.

# %%
experiment = mlflow.set_experiment("precos_casas_windsor/boas_praticas")
mlflow.set_experiment_tags({
    "mlflow.note.content": "Exemplos de boas práticas da lição 08: preços de casas, Windsor 1987.",
    "team": "dataflow-lab", "data": "house_prices.csv",
})
print(experiment.name)

# %% [markdown]
# ## 2 · Logue todos os parâmetros, e os dados
#
# Não só os que você ajustou: a configuração completa do estimador, como os dados foram
# divididos e com qual semente. Reproduzir uma execução exige todos eles.
#
# Os próprios dados são uma *entrada* da execução. `mlflow.data.from_pandas` transforma um
# DataFrame num conjunto de dados — um nome, a origem, o esquema, o número de linhas e um
# **digest**: um hash de 8 caracteres das linhas (das primeiras 10.000, em dados maiores), do
# índice, do número de linhas e dos nomes das colunas. `mlflow.log_input` o loga na execução
# com um contexto (`training`, `validation`). Ele faz o que um hash do arquivo faria, e melhor:
# é calculado a partir das linhas que o modelo viu, depois do carregamento e da divisão. Mude
# um valor no arquivo e o digest muda; assim, duas execuções treinadas com dados diferentes não
# passam por iguais. A página da execução lista seus conjuntos de dados em **Datasets**, e uma
# busca pode filtrar por eles (`filter_string="datasets.digest = '...'"`).
#
# Os dados são divididos em três com `lab_utils.split_train_validation_test()`: o modelo é
# ajustado nas casas de treinamento, **comparado e escolhido** nas casas de validação, e avaliado nas
# casas de teste **uma única vez**, depois da escolha (a prática 3 explica por quê).

# %%
import warnings

from sklearn.ensemble import RandomForestRegressor

# O MLflow salva modelos do scikit-learn com o skops, que se recusa a carregar tipos em que não
# foi instruído a confiar: conjuntos de árvores precisam ter a sua classe de árvore informada.
TREE_TYPES = ["sklearn.tree._tree.Tree"]

split = lab_utils.split_train_validation_test()
X_train, X_validation, X_test = split.X_train, split.X_validation, split.X_test
y_train, y_validation, y_test = split.y_train, split.y_validation, split.y_test
split_params = {"test_size": 0.25, "validation_size": 0.25, "split_seed": lab_utils.SEED}

# Dois avisos que esta lição silencia. O esquema de um conjunto de dados é inferido das colunas,
# e o MLflow lembra que colunas inteiras não comportam valores ausentes: os dados das casas não
# têm nenhum. E um caminho de arquivo corresponde à origem de arquivo local do MLflow sob dois
# nomes: ele avisa que escolheu um dos dois, que são a mesma coisa.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")

train_data = mlflow.data.from_pandas(X_train.assign(price=y_train), source="data/house_prices.csv",
                                     targets="price", name="house_prices_train")
validation_data = mlflow.data.from_pandas(X_validation.assign(price=y_validation),
                                          source="data/house_prices.csv", targets="price",
                                          name="house_prices_validation")
test_data = mlflow.data.from_pandas(X_test.assign(price=y_test), source="data/house_prices.csv",
                                    targets="price", name="house_prices_test")

forest = RandomForestRegressor(n_estimators=100, max_depth=8, random_state=lab_utils.SEED)
run = mlflow.start_run(run_name="random_forest_well_logged")
mlflow.log_params(forest.get_params())
mlflow.log_params(split_params)
mlflow.log_input(train_data, context="training")
mlflow.log_input(validation_data, context="validation")
print(len(forest.get_params()) + len(split_params), "parâmetros e 2 conjuntos de dados logados;",
      f"digest do treinamento {train_data.digest}")

# %% [markdown]
# ### Ponto de verificação: os conjuntos de dados, lidos de volta da execução
#
# `get_run(...).inputs.dataset_inputs` contém cada conjunto de dados com a sua tag de contexto.
# Os digests têm de ser os calculados a partir dos DataFrames acima.

# %% tags=["nbval-check-output"]
import json

from mlflow import MlflowClient

client = MlflowClient()
inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
logged = {i.dataset.name: i for i in inputs}
for name, local in (("house_prices_train", train_data), ("house_prices_validation", validation_data)):
    assert name in logged, f"o conjunto de dados {name} não está na execução: execute de novo a célula acima"
    assert logged[name].dataset.digest == local.digest, f"{name}: o digest no servidor é diferente"
for name, dataset_input in sorted(logged.items()):
    context = {t.key: t.value for t in dataset_input.tags}["mlflow.data.context"]
    rows = json.loads(dataset_input.dataset.profile)["num_rows"]
    print(f"✓ {context:<11}{name:<25}{rows} linhas, origem {dataset_input.dataset.source}")

# %% [markdown]
# ## 3 · Métricas de validação ao lado das métricas de treinamento
#
# Uma pontuação de treinamento sozinha esconde o sobreajuste (overfitting): uma floresta consegue
# quase decorar as casas de treinamento. Logue as duas, com nomes que digam qual é qual.
#
# Por que não as casas de teste também? Uma pontuação que você usa para *escolher* — a melhor de
# várias execuções, um critério de promoção — é uma pontuação de validação, e, depois que você
# escolhe com ela, ela fica otimista: a vencedora é, em parte, o modelo que teve sorte com
# aquelas casas. Mantenha um conjunto de teste que nenhuma decisão viu e avalie-o uma única vez,
# para o modelo com que você ficar. Esse é o exercício desta lição.

# %%
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score


def rmse(y, predictions) -> float:
    return float(np.sqrt(mean_squared_error(y, predictions)))


forest.fit(X_train, y_train)
for name, X, y in (("train", X_train, y_train), ("validation", X_validation, y_validation)):
    predictions = forest.predict(X)
    mlflow.log_metrics({f"{name}_rmse": rmse(y, predictions),
                        f"{name}_mae": mean_absolute_error(y, predictions),
                        f"{name}_r2": r2_score(y, predictions)})
metrics = client.get_run(run.info.run_id).data.metrics
print(f"RMSE de treinamento {lab_utils.format_number(metrics['train_rmse'])} vs. RMSE de validação {lab_utils.format_number(metrics['validation_rmse'])} CAD")

# %% [markdown]
# ## 4 · Salve os artefatos que explicam o modelo
#
# Números dizem *quão bom* ele é; gráficos dizem *onde ele falha*. Um gráfico de resíduos para o
# modelo de preço e uma matriz de confusão para a pergunta "cara ou não?" (preço acima da
# mediana), ambos nas casas de validação.

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay

validation_predictions = forest.predict(X_validation)
figure, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(validation_predictions, y_validation - validation_predictions, s=10, alpha=0.6)
ax.axhline(0, color="grey", lw=1)
ax.set(xlabel="preço previsto (CAD)", ylabel="resíduo (CAD)", title="Resíduos na validação")
mlflow.log_figure(figure, "diagnostics/residuals.png")

median = float(lab_utils.load_house_prices()["price"].median())
matrix = ConfusionMatrixDisplay.from_predictions(y_validation > median, validation_predictions > median,
                                                 display_labels=["não cara", "cara"])
mlflow.log_figure(matrix.figure_, "diagnostics/confusion_matrix.png")
plt.show()

# %% [markdown]
# ## 5 · Tags organizam as execuções
#
# Tags são livres: use-as para aquilo que você vai filtrar depois — a família do modelo, o
# propósito da execução, se ela é candidata à produção.
#
# > **skops** — um formato de arquivo para modelos do scikit-learn. Ao contrário do pickle do
# > Python, ele anota o tipo de cada objeto que armazena e, ao carregar, recusa tipos que não
# > estão numa lista de confiança (`skops_trusted_types`, abaixo). A lição 05 o mostra em
# > detalhes.

# %%
mlflow.set_tags({"model_family": "random_forest", "purpose": "best-practices-demo",
                 "candidate": "true", "dataset": "windsor_house_prices"})
# Requisitos informados, fixados nas versões instaladas aqui: assim o MLflow não os infere, o
# que carregaria o modelo de novo num processo Python separado.
forest_info = mlflow.sklearn.log_model(
    forest, name="model", input_example=X_train.head(3), skops_trusted_types=TREE_TYPES,
    pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True))
mlflow.end_run()
print("a execução na UI:", lab_utils.run_url(lab, run))

tagged = mlflow.search_runs(experiment_names=["precos_casas_windsor/boas_praticas"],
                            filter_string="tags.candidate = 'true' and tags.model_family = 'random_forest'")
print(len(tagged), "execução(ões) candidata(s) de floresta aleatória encontrada(s) pelas tags")

# %% [markdown]
# ### Ponto de verificação: práticas 2–5 no servidor

# %%
on_server = client.get_run(run.info.run_id).data
expected_params = len(forest.get_params()) + len(split_params)
assert len(on_server.params) == expected_params, f"{len(on_server.params)} parâmetros, esperados {expected_params}"
# O exercício abaixo avalia nas casas de teste a execução que escolher, e põe nela a tag
# `reviewed`: só então um test_rmse está certo (assim esta célula passa de novo depois do exercício).
assert "test_rmse" not in on_server.metrics or "reviewed" in on_server.tags, "as casas de teste são avaliadas uma única vez, depois da escolha"
checked = lab_utils.assert_run_logged(
    run.info.run_id,
    params={"max_depth": 8, "split_seed": lab_utils.SEED, "validation_size": 0.25},
    metrics=["train_rmse", "validation_rmse", "validation_r2"],
    tags={"candidate": "true", "model_family": "random_forest"},
    artifacts=["diagnostics/residuals.png", "diagnostics/confusion_matrix.png"])

# %% [markdown]
# ## 6 · Documente os modelos registrados
#
# O registro de modelos (Model Registry) é lido por pessoas que não treinaram o modelo. Diga o
# que ele prevê, a partir de quais dados, como foi validado e o que cada versão mudou.

# %%
version = mlflow.register_model(forest_info.model_uri, "previsao_precos_floresta")
client.update_registered_model(
    "previsao_precos_floresta",
    description="Floresta aleatória que prevê o preço de venda (CAD) de casas em Windsor, no Canadá "
                "(dados de 1987). Entrada: as 11 features de data/house_prices.csv. Ajustada em 56% das "
                "casas, validada em 19%; 25% ficam reservadas como conjunto de teste.",
)
version = client.update_model_version(
    "previsao_precos_floresta", version.version,
    description=f"100 árvores, profundidade 8; RMSE de validação {lab_utils.format_number(metrics['validation_rmse'])} CAD.",
)

# %%
registered = client.get_registered_model("previsao_precos_floresta")
described = client.get_model_version("previsao_precos_floresta", version.version)
assert "Windsor" in registered.description and "RMSE" in described.description
print("✓ modelo e versão documentados")

# %% [markdown]
# ## Exercício
#
# Uma floresta mais rasa é melhor? Logue um segundo candidato em
# `precos_casas_windsor/boas_praticas`, a mesma floresta com `max_depth=4`, do jeito que as
# práticas 2, 3 e 5 fazem: seus parâmetros, os conjuntos de dados de treinamento e de validação,
# `train_rmse` e `validation_rmse`, e as tags `candidate = true` e
# `model_family = random_forest`. Depois escolha entre ele e `random_forest_well_logged` pelo
# `validation_rmse`, lido do servidor. Na execução escolhida, e em nenhuma outra: ponha a tag
# `reviewed = yes` e logue `test_rmse`, o erro dela nas casas de teste (`X_test`,
# `y_test`). Coloque o id da execução escolhida em `reviewed_run_id`.

# %% tags=["exercise"]
reviewed_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Encontre a vencedora com `mlflow.search_runs(experiment_ids=[experiment.experiment_id],
# filter_string=f"tags.candidate = 'true' and attributes.start_time >= {run.info.start_time}",
# order_by=["metrics.validation_rmse ASC"])` e depois reabra-a com
# `mlflow.start_run(run_id=...)` para chamar `mlflow.set_tag` e `mlflow.log_metric`.
#
# </details>

# %% tags=["solution"]
shallow = RandomForestRegressor(n_estimators=100, max_depth=4, random_state=lab_utils.SEED)
with mlflow.start_run(run_name="random_forest_shallow"):
    mlflow.log_params(shallow.get_params())
    mlflow.log_params(split_params)
    mlflow.log_input(train_data, context="training")
    mlflow.log_input(validation_data, context="validation")
    shallow.fit(X_train, y_train)
    mlflow.log_metrics({"train_rmse": rmse(y_train, shallow.predict(X_train)),
                        "validation_rmse": rmse(y_validation, shallow.predict(X_validation))})
    mlflow.set_tags({"model_family": "random_forest", "candidate": "true"})

best = mlflow.search_runs(experiment_ids=[experiment.experiment_id],
                          filter_string=f"tags.candidate = 'true' and attributes.start_time >= {run.info.start_time}",
                          order_by=["metrics.validation_rmse ASC"], max_results=1).iloc[0]
reviewed_run_id = best.run_id
chosen_model = {"8": forest, "4": shallow}[best["params.max_depth"]]
with mlflow.start_run(run_id=reviewed_run_id):
    mlflow.set_tag("reviewed", "yes")
    mlflow.log_input(test_data, context="test")
    mlflow.log_metric("test_rmse", rmse(y_test, chosen_model.predict(X_test)))

# %% tags=["check-exercise"]
if lab_utils.attempted(reviewed_run_id, "Exercício"):
    from lab_utils.grading import lesson_08
    lesson_08.check_exercise(reviewed_run_id)

# %% [markdown]
# ## Resumo
#
# | prática | no código |
# | --- | --- |
# | nomes descritivos de experimentos | `set_experiment("precos_casas_windsor/boas_praticas")`, uma descrição |
# | todos os parâmetros, e os dados | `log_params(model.get_params())`, a divisão e a sua semente; `log_input(mlflow.data.from_pandas(...), context=...)` |
# | métricas de validação | `train_*` e `validation_*` lado a lado; escolha pela validação, `test_*` uma única vez, para a execução escolhida |
# | artefatos importantes | `log_figure`: resíduos, matriz de confusão |
# | tags | `set_tags` para aquilo que você vai filtrar |
# | modelos documentados | descrições no modelo registrado e em cada versão |
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Rastreamento de conjuntos de dados (Dataset tracking)](https://mlflow.org/docs/latest/ml/dataset/)
#   — `mlflow.data`, origens, digests e `log_input`
# - [Busca de execuções (Searching runs)](https://mlflow.org/docs/latest/ml/search/search-runs/)
#   — a sintaxe de filtro de `search_runs` e da caixa de busca da UI
#
# ## Verifique o que aprendeu
#
# 1. Duas execuções do mesmo código mostram `validation_rmse` diferentes. Onde, nas páginas das
#    execuções, você olha primeiro para saber se os dados mudaram, e o que lhe dá a resposta?
# 2. Por que a execução com o menor `validation_rmse` não é avaliada de novo nas casas de
#    validação para informar quão boa ela é?
# 3. Você loga `test_rmse` em todos os candidatos "a título de informação" e depois
#    escolhe a melhor pontuação de teste. Em que se transformou o seu conjunto de teste?
# 4. O que uma tag oferece que um nome de execução não oferece?

# %% [markdown] tags=["solution"]
# 1. Nos conjuntos de dados de cada execução (a seção **Datasets** na página da execução, ou
#    `get_run(...).inputs.dataset_inputs`): o mesmo nome com um digest diferente significa que
#    as linhas mudaram; os parâmetros da divisão (`split_seed`, tamanhos) dizem se ela foi
#    feita do mesmo jeito.
# 2. Ela foi escolhida *porque* se saiu melhor nessas casas, em parte por sorte: sua pontuação
#    de validação é otimista. Casas que não participaram de nenhuma decisão — o conjunto de
#    teste — dão uma estimativa honesta.
# 3. Em um segundo conjunto de validação: escolher com ele torna a pontuação dele otimista
#    também, e não sobram casas intocadas para informar uma pontuação honesta.
# 4. Uma tag é uma chave e um valor pelos quais uma busca pode filtrar
#    (`tags.model_family = 'random_forest'`); uma execução pode ter muitas tags, e elas podem
#    ser acrescentadas depois (como `reviewed = yes`).

# %% [markdown]
# Próxima: **09 · Solução de problemas**.
